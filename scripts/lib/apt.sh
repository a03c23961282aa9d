# Sourced by scripts/setup.sh and scripts/skip_missing_package.sh.

# Whether dpkg has the package installed.
installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [ "$status" = "install ok installed" ]
}

# Whether the archive offers the package.  The policy is read whole into a
# variable first: piped into `grep -q`, apt-cache dies of SIGPIPE when grep
# stops at its first match, and under pipefail the check then says "no".
available() {
  local policy
  policy=$(apt-cache policy "$1" 2>/dev/null) || return 1
  [[ $policy == *"Candidate: "* && $policy != *"Candidate: (none)"* ]]
}
