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
# Inside chatbot/, its rooms (README, "Layout"), bottom to top; a file
# includes only headers of its own room or of rooms below it. Two known
# exceptions, named in the README: eval.c holds the eval subcommand (cli.h),
# and events.h takes the ask's options type an ask's event records.
room() { case ${1##*/} in
  town.c|town.h|town_int.h|ops_policy.h) echo 0 ;;
  events.c|events.h|events_int.h|events_writer.c|report.c|forecast.c|forecast.h) echo 1 ;;
  chatbot.c|chatbot.h|chatbot_int.h|cache.c|shown.c|furigana.c|eval.c|policy.h) echo 2 ;;
  staff.c|staff.h|audit.c|curate.c|preview.c) echo 3 ;;
  cli.c|cli.h|cli_log.c|cli_staff.c|main.c) echo 4 ;;
  *) echo -1 ;; esac; }
for f in chatbot/*.[ch]; do
  mine=$(room "$f")
  if [ "$mine" -lt 0 ]; then echo "$f: in no room of chatbot/ (tests/layers.sh, README \"Layout\")"; bad=1; continue; fi
  while IFS=: read -r line target; do
    case "$f>$target" in chatbot/eval.c\>chatbot/cli.h|chatbot/events.h\>chatbot/chatbot.h) continue ;; esac
    r=$(room "$target")
    if [ "$r" -gt "$mine" ]; then
      echo "$f:$line: includes $target, a room above its own"; bad=1
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"chatbot/' "$f" | sed -E 's/^([0-9]+):[^"]*"([^"]+)".*/\1:\2/')
done
[ $bad -eq 0 ] && echo "layers: every include points down, in chatbot/ room by room too"
exit $bad
