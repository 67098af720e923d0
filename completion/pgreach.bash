# bash completion for pgreach(1) and check_pgreach(1)        -*- shell-script -*-
#
# Installed as .../bash-completion/completions/pgreach, with check_pgreach
# a link to it, so that bash-completion loads it on first use of either
# name.  Works without the bash-completion library too: source it.
#
# Options, --format and --sslmode values, files for --evidence, --bundle,
# --sslrootcert and --targets; nothing for free-form values (a URL, a
# number, a range).  Both "--opt value" and "--opt=value" are completed.
# tests/install.test keeps the lists here in step with cli.c and --help.

_pgreach_options='--format -t --timeout --dns-server --region --vpc-cidr
	--sslmode --sslrootcert --query --count -w --warning -c --critical
	--query-warning --query-critical --cert-warning --cert-critical
	--evidence --aws --bundle --force --no-pgbouncer --targets --parallel --threads
	--wait --idle --no-color -v --verbose -q --quiet --perfdata -V --version -h --help'
_pgreach_formats='html json junit markdown nagios prometheus text'
_pgreach_sslmodes='disable allow prefer require verify-ca verify-full'

_pgreach_files()
{
	if declare -F _filedir >/dev/null 2>&1; then
		_filedir
		return
	fi
	compopt -o filenames 2>/dev/null
	local IFS=$'\n'
	COMPREPLY=($(compgen -f -- "$1"))
}

_pgreach()
{
	local cur prev i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	# "--opt=value": bash splits it at '=' (COMP_WORDBREAKS) into
	# "--opt" "=" "value", or leaves it whole when '=' is not a break.
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi

	# After "--", everything is a target.
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] && return 0
	done

	case $prev in
	--format)
		COMPREPLY=($(compgen -W "$_pgreach_formats" -- "$cur"))
		return 0
		;;
	--sslmode)
		COMPREPLY=($(compgen -W "$_pgreach_sslmodes" -- "$cur"))
		return 0
		;;
	--perfdata)
		COMPREPLY=($(compgen -W "port address" -- "$cur"))
		return 0
		;;
	--evidence | --bundle | --sslrootcert | --targets)
		_pgreach_files "$cur"
		return 0
		;;
	-t | --timeout | --dns-server | --region | --vpc-cidr | --query | \
	--count | -w | --warning | -c | --critical | --query-warning | \
	--query-critical | --cert-warning | --cert-critical | --parallel | --threads | --wait | --idle)
		return 0	# a value of the user's own
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_pgreach_options" -- "$cur"))
	fi
	return 0
}

complete -F _pgreach pgreach check_pgreach
