# Replaces generation 1's arena/state.json in the lab DIR ($1) by one
# that is not the arena's state, as a damaged or hand-edited lab would
# hold: a new commit, its note copied, gen_001 and main moved to it.
# With PATH ($2) and FILE ($3): its PATH by FILE's text instead.
set -e
path=${2:-arena/state.json}
if [ -n "$3" ]; then
	blob=$(git --git-dir="$1/generations" hash-object -w "$3")
else
	blob=$(printf '{"round": 1}\n' | git --git-dir="$1/generations" hash-object -w --stdin)
fi
cd "$1/generations"
old=$(git rev-parse gen_001^{commit})
export GIT_INDEX_FILE="$1/damage.index"
git read-tree "$old"
git update-index --cacheinfo "100644,$blob,$path"
tree=$(git write-tree)
rm -f "$GIT_INDEX_FILE"
new=$(git log -1 --format=%B "$old" | git commit-tree "$tree" -p "$old^")
git notes copy "$old" "$new"
git tag -f gen_001 "$new" >/dev/null
git update-ref refs/heads/main "$new"
