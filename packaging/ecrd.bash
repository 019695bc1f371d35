# bash completion for ecrd: generated from server/flags.txt by
# cmake/gen_flags.py (make flags). Do not edit.
_ecrd()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	--listen)
		COMPREPLY=()
		return
		;;
	--port-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--data-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--map-size)
		COMPREPLY=()
		return
		;;
	--account)
		COMPREPLY=()
		return
		;;
	--region)
		COMPREPLY=()
		return
		;;
	--public-endpoint)
		COMPREPLY=()
		return
		;;
	--tls-cert)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--tls-key)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--credentials)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--secrets)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--upstream-url)
		COMPREPLY=()
		return
		;;
	--upstream-credentials)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--pull-through-refresh)
		COMPREPLY=()
		return
		;;
	--replication-delay)
		COMPREPLY=()
		return
		;;
	--archive-restore-seconds)
		COMPREPLY=()
		return
		;;
	--signing-key)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--throttle-rate)
		COMPREPLY=()
		return
		;;
	--lifecycle-interval)
		COMPREPLY=()
		return
		;;
	--clock-offset)
		COMPREPLY=()
		return
		;;
	--max-repositories)
		COMPREPLY=()
		return
		;;
	--max-layer-size)
		COMPREPLY=()
		return
		;;
	--quota)
		COMPREPLY=()
		return
		;;
	--audit-log)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--header-timeout)
		COMPREPLY=()
		return
		;;
	--metrics-max-series)
		COMPREPLY=()
		return
		;;
	--vuln-db)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--events-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--test-hold-file-work)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--events-webhook)
		COMPREPLY=()
		return
		;;
	--eventbridge-endpoint)
		COMPREPLY=()
		return
		;;
	--eventbridge-credentials)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--events-queue-max)
		COMPREPLY=()
		return
		;;
	--log-level)
		COMPREPLY=($(compgen -W "error warn info debug" -- "$cur"))
		return
		;;
	esac
	COMPREPLY=($(compgen -W "--listen --port-file --data-dir --ephemeral --map-size --account --region --public-endpoint --tls-cert --tls-key --credentials --strict --secrets --upstream-url --upstream-credentials --pull-through-refresh --replication-delay --archive-restore-seconds --signing-key --admin-endpoints --throttle --throttle-rate --relax-references --lifecycle-interval --clock-offset --max-repositories --max-layer-size --quota --audit-log --header-timeout --no-metrics --metrics-max-series --vuln-db --events-file --test-hold-file-work --events-webhook --eventbridge-endpoint --eventbridge-credentials --events-queue-max --log-level --health-check --version --help" -- "$cur"))
}
complete -o filenames -F _ecrd ecrd
