#compdef carto-keys
compdef _carto-keys carto-keys

# zsh completion for carto-keys.
#
# Every answer comes from `carto-keys __complete <words before the cursor> <current word>`, which
# prints one candidate per line (`value<TAB>description`) and a last line `:<directive>`
# (bits: 1 complete file names, 2 no space after the candidate, for comma lists). So this script
# never goes stale when commands or options change.

_carto-keys() {
    local -a args lines values
    local out line value desc directive=0

    # The words before the cursor and the current word up to the cursor, with their quoting removed;
    # zsh quotes what it inserts itself (Default public → Default\ public).
    args=("${(@Q)words[2,CURRENT-1]}" "${(Q)PREFIX}")
    out=$(carto-keys __complete "${args[@]}" 2>/dev/null)
    lines=("${(@f)out}")
    if [[ ${lines[-1]} == :<-> ]]; then
        directive=${lines[-1]#:}
        lines[-1]=()
    fi

    for line in "${lines[@]}"; do
        [[ -n $line ]] || continue
        value=${line%%$'\t'*}
        desc=
        [[ $line == *$'\t'* ]] && desc=${line#*$'\t'}
        # _describe splits "value:description" at the first unescaped colon.
        values+=("${value//:/\\:}${desc:+:$desc}")
    done

    if (( ${#values} && directive & 2 )); then
        # A comma list goes on: no space after `sql` or `t:select`.
        _describe -t values 'carto-keys' values -S ''
    elif (( ${#values} )); then
        _describe -t values 'carto-keys' values
    elif (( directive & 1 )); then
        _files
    else
        return 1
    fi
}

# Loaded from $fpath this file is the body of _carto-keys: run it. Sourced (source <(carto-keys
# completion zsh)), the compdef line above has registered it and there is nothing more to do.
if [[ $funcstack[1] == _carto-keys ]]; then
    _carto-keys "$@"
fi
