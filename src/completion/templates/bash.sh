# bash completion for carto-keys (bash 4.1+, with or without the bash-completion package).
#
# Every answer comes from `carto-keys __complete <words before the cursor> <current word>`, which
# prints one candidate per line (`value<TAB>description`) and a last line `:<directive>`
# (bits: 1 complete file names, 2 no space after the candidate, for comma lists). So this script
# never goes stale when commands or options change.

# Removes shell quoting from a word (backslashes, '…', "…") without expanding anything: nothing
# typed on the command line is ever evaluated. Sets REPLY, and __carto_keys_quote to the quote
# still open at the end of the word, if any.
__carto_keys_dequote() {
    local word=$1 c q= i
    REPLY=
    for ((i = 0; i < ${#word}; i++)); do
        c=${word:i:1}
        if [[ $q == "'" ]]; then
            if [[ $c == "'" ]]; then q=; else REPLY+=$c; fi
        elif [[ $c == '\' ]]; then
            i=$((i + 1))
            # Inside double quotes a backslash escapes only $ ` " \ ; elsewhere it escapes anything.
            if [[ $q == '"' && ${word:i:1} != [\$\`\"\\] ]]; then REPLY+='\'; fi
            REPLY+=${word:i:1}
        elif [[ $c == '"' ]]; then
            if [[ $q == '"' ]]; then q=; else q='"'; fi
        elif [[ $c == "'" && -z $q ]]; then
            q="'"
        else
            REPLY+=$c
        fi
    done
    __carto_keys_quote=$q
}

# Without bash-completion: split the line into words the way its _get_comp_words_by_ref -n =:@
# does, i.e. `--table=t:select` stays one word although bash breaks it at = and :, and the current
# word ends at the cursor. Sets words, cword and cur in the caller.
__carto_keys_words() {
    local line=${COMP_LINE:0:COMP_POINT} i word space
    words=()
    cword=0
    for ((i = 0; i <= COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        space=${line%%[![:space:]]*}
        line=${line:${#space}}
        if ((i == COMP_CWORD)); then word=$line; fi
        line=${line:${#word}}
        if ((i > 0)) && [[ -z $space && ($word == [=:@]* || ${words[cword]} == *[=:@]) ]]; then
            words[cword]+=$word
        else
            if ((i > 0)); then cword=$((cword + 1)); fi
            words[cword]=$word
        fi
    done
    cur=${words[cword]}
}

_carto_keys() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n =:@ || return
    else
        COMPREPLY=()
        __carto_keys_words
    fi

    # Locals here are what the helpers set (bash scoping is dynamic): nothing leaks into the shell.
    local -a args=() out=()
    local i REPLY __carto_keys_quote
    for ((i = 1; i < cword; i++)); do
        __carto_keys_dequote "${words[i]}"
        args+=("$REPLY")
    done
    __carto_keys_dequote "$cur"
    args+=("$REPLY")
    local typed=$REPLY quote=$__carto_keys_quote

    # The program as typed when it is a path (./bin/carto-keys), else the one on PATH.
    __carto_keys_dequote "${words[0]}"
    local prog=${REPLY/#\~/$HOME}
    [[ $prog == */* && -x $prog ]] || prog=carto-keys

    mapfile -t out < <("$prog" __complete "${args[@]}" 2>/dev/null)
    local directive=0 n=${#out[@]}
    if ((n > 0)) && [[ ${out[n - 1]} =~ ^:[0-9]+$ ]]; then
        directive=${out[n - 1]#:}
        unset 'out[n - 1]'
    fi

    # bash replaces only the text after the last word-break character (= : @) of the word, so
    # that part of each candidate is left out. Inside quotes nothing breaks.
    local keep= c
    if [[ -z $quote ]]; then
        for ((i = ${#typed} - 1; i >= 0; i--)); do
            c=${typed:i:1}
            if [[ $c == [=:@] && $COMP_WORDBREAKS == *"$c"* ]]; then
                keep=${typed:0:i + 1}
                break
            fi
        done
    fi

    COMPREPLY=()
    local value safe='^[[:alnum:]_.,:@%+=/-]+$'
    for value in "${out[@]}"; do
        value=${value%%$'\t'*}
        value=${value#"$keep"}
        # Escape what the shell would split or expand (Default public → Default\ public); within
        # an open quote readline inserts the text as is and closes the quote itself.
        if [[ -z $quote && ! $value =~ $safe ]]; then
            printf -v value %q "$value"
        fi
        COMPREPLY+=("$value")
    done

    # `--table t:select` may go on with `,insert`: no space after a list item.
    if ((directive & 2)); then
        compopt -o nospace 2>/dev/null
    fi
    if ((directive & 1 && ${#COMPREPLY[@]} == 0)); then
        if declare -F _filedir >/dev/null 2>&1; then
            _filedir
        else
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$typed")
        fi
    fi
}

complete -F _carto_keys carto-keys
