#!/bin/sh
# readme-blocks.sh README HEADING: the ```sh blocks of one "## HEADING"
# section of README, in order, as one script (the README run verbatim).
awk -v h="## $2" '
    $0 == h { in_sec = 1; next }
    in_sec && /^## / { in_sec = 0 }
    in_sec && $0 == "```sh" { code = 1; next }
    in_sec && code && $0 == "```" { code = 0; print ""; next }
    in_sec && code { print }
' "$1"
