#!/usr/bin/env bash
# Fails when an #include points up or sideways between the layers (README,
# "Layout"): nlp/ at the bottom; kb/ and reservation/ on it, neither
# including the other; chatbot/ on kb/; widget/ on top. The program's entry
# point (the file that defines main) and tests/ may include anything.
set -euo pipefail
cd "$(dirname "$0")/.."
rank() { case $1 in nlp) echo 0 ;; kb|reservation) echo 1 ;; chatbot) echo 2 ;; widget) echo 3 ;; *) echo -1 ;; esac; }
bad=0
for dir in nlp kb reservation chatbot widget; do
  mine=$(rank "$dir")
  for f in $(find "$dir" -name '*.[ch]'); do
    grep -qE '^[[:space:]]*int[[:space:]]+main[[:space:]]*\(' "$f" && continue
    while IFS=: read -r line target; do
      top=${target%%/*}
      [ "$top" = "$target" ] && continue          # a file of the same folder, by name
      r=$(rank "$top")
      [ "$r" -lt 0 ] && continue                   # not a layer (tests/, a library)
      if [ "$top" != "$dir" ] && [ "$r" -ge "$mine" ]; then
        echo "$f:$line: $dir/ includes $target ($top/ is not below $dir/)"; bad=1
      fi
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' "$f" | sed -E 's/^([0-9]+):[^"]*"([^"]+)".*/\1:\2/')
  done
done
[ $bad -eq 0 ] && echo "layers: every include points down"
exit $bad
