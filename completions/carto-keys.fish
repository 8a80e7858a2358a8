# Generated from src/completion/templates/fish.fish by `npm run completions`: edit that file instead.
# fish completion for carto-keys.
#
# Every answer comes from `carto-keys __complete <words before the cursor> <current word>`, which
# prints one candidate per line (`value<TAB>description`, fish's own format) and a last line
# `:<directive>` (bits: 1 complete file names, 2 no space after the candidate, for comma lists). So
# this script never goes stale when commands change.

function __carto_keys_complete
    # The tokens before the cursor (unescaped) without the program name, and the current token.
    set -l args (commandline -opc)[2..-1]
    set -l token (commandline -ct)
    set -l current (string unescape -- "$token" 2>/dev/null)
    # An unterminated quote ('Def) does not unescape: drop the quote and keep the rest.
    or set current (string replace -r -- '^[\'"]' '' "$token")

    set -l lines (carto-keys __complete $args "$current" 2>/dev/null)
    set -l directive 0
    if string match -qr -- '^:[0-9]+$' "$lines[-1]"
        set directive (string sub -s 2 -- $lines[-1])
        set -e lines[-1]
    end
    if test (count $lines) -eq 0; and test (math "$directive % 2") -eq 1
        __fish_complete_path "$current"
        return
    end
    # fish has no way to ask for no space after one candidate, and adds one after a lone candidate.
    # A comma list (`--table t:sel`, `--api sq`) must be able to go on with `,insert`: so a lone list
    # item comes with its continuation `item,` beside it. fish then inserts what both share, `item`,
    # with no space, and a second Tab offers `item,` (after a comma fish adds no space either).
    if test (count $lines) -eq 1; and test (math "floor($directive / 2) % 2") -eq 1
        set -l value (string split -m 1 -- \t $lines[1])[1]
        set lines $lines[1] "$value,"
    end
    # fish quotes what it inserts itself (Default public → Default\ public).
    printf '%s\n' $lines
end

complete -c carto-keys -e
complete -c carto-keys -f -a '(__carto_keys_complete)'
