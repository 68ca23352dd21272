function __dosecabctl_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __dosecabctl_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __dosecabctl_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __dosecabctl_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __dosecabctl_parse_tokens -S
    set -l unparsed_tokens (__dosecabctl_tokens -pc)
    switch $unparsed_tokens[1]
    case 'dosecabctl'
        __dosecabctl_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'status'
            __dosecabctl_parse_subcommand 0 'socket=' 'json' 'version' 'h/help'
        case 'outstanding'
            __dosecabctl_parse_subcommand 0 'socket=' 'json' 'version' 'h/help'
        case 'releases'
            __dosecabctl_parse_subcommand 0 'socket=' 'json' 'since=' 'version' 'h/help'
        case 'holds'
            __dosecabctl_parse_subcommand 0 'socket=' 'json' 'version' 'h/help'
        case 'hold'
            __dosecabctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'clear'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'reason=' 'staff=' 'pin=' 'version' 'h/help'
            end
        case 'confirm'
            __dosecabctl_parse_subcommand 1 'socket=' 'json' 'staff=' 'pin=' 'version' 'h/help'
        case 'rx'
            __dosecabctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'import'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'version' 'h/help'
            case 'list'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'version' 'h/help'
            end
        case 'stock'
            __dosecabctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'receive'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'drug=' 'route=' 'strength-mg=' 'batch=' 'expiry=' 'serials=+' 'staff=' 'pin=' 'witness=' 'witness-pin=' 'version' 'h/help'
            case 'waste'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'reason=' 'release=' 'mg=' 'note=' 'staff=' 'pin=' 'witness=' 'witness-pin=' 'version' 'h/help'
            case 'list'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'units' 'version' 'h/help'
            end
        case 'count'
            __dosecabctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'start'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'staff=' 'pin=' 'witness=' 'witness-pin=' 'version' 'h/help'
            case 'enter'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'count=+' 'staff=' 'pin=' 'witness=' 'witness-pin=' 'version' 'h/help'
            case 'status'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'version' 'h/help'
            end
        case 'discrepancy'
            __dosecabctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'all' 'version' 'h/help'
            case 'resolve'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'resolution=' 'note=' 'serials=+' 'staff=' 'pin=' 'witness=' 'witness-pin=' 'version' 'h/help'
            end
        case 'override'
            __dosecabctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'open'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'patient=' 'drug=' 'route=' 'dose-mg=' 'minutes=' 'reason=' 'staff=' 'pin=' 'witness=' 'witness-pin=' 'version' 'h/help'
            case 'close'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'reason=' 'staff=' 'pin=' 'version' 'h/help'
            case 'review'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'note=' 'staff=' 'pin=' 'version' 'h/help'
            case 'list'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'all' 'version' 'h/help'
            end
        case 'enroll'
            __dosecabctl_parse_subcommand 1 'socket=' 'json' 'id=' 'facility=' 'card=' 'format=' 'new-pin=' 'role=' 'staff=' 'pin=' 'witness=' 'witness-pin=' 'version' 'h/help'
        case 'lockdown'
            __dosecabctl_parse_subcommand 1 'socket=' 'json' 'reason=' 'version' 'h/help'
        case 'audit'
            __dosecabctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'verify'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'version' 'h/help'
            case 'list'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'from=' 'limit=' 'version' 'h/help'
            end
        case 'report'
            __dosecabctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'daily'
                __dosecabctl_parse_subcommand 0 'socket=' 'json' 'date=' 'format=' 'version' 'h/help'
            end
        case 'log'
            __dosecabctl_parse_subcommand 0 'json' 'since=' 'event=' 'directory=' 'version' 'h/help'
        case 'people'
            __dosecabctl_parse_subcommand 0 'socket=' 'json' 'version' 'h/help'
        case 'sim'
            __dosecabctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'card'
                __dosecabctl_parse_subcommand 2 'socket=' 'json' 'facility=' 'format=' 'pin=' 'version' 'h/help'
            case 'keys'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'version' 'h/help'
            case 'scan'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'version' 'h/help'
            case 'return'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'version' 'h/help'
            case 'door'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'version' 'h/help'
            case 'line'
                __dosecabctl_parse_subcommand 2 'socket=' 'json' 'version' 'h/help'
            case 'advance'
                __dosecabctl_parse_subcommand 1 'socket=' 'json' 'version' 'h/help'
            end
        case 'help'
            __dosecabctl_parse_subcommand -r 1 'version'
        end
    end
end

function __dosecabctl_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __dosecabctl_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __dosecabctl_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __dosecabctl_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__dosecabctl_tokens -p)
    if test -z "$(__dosecabctl_tokens -t)"
        set -l index (count (__dosecabctl_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'dosecabctl' -f
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'status' -d 'Lock, door, bolt, session, open release, units out, holds, health.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'outstanding' -d 'Units released and not yet returned or confirmed.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'releases' -d 'Releases since a time (default: the last 24 h).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'holds' -d 'Patients on hold.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'hold' -d 'Clear a hold (clinician or admin badge + PIN).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'confirm' -d 'Witnessed close-out: confirm a unit was consumed.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'rx' -d 'Prescriptions.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'stock' -d 'Stock: witnessed receipt and waste, levels and units.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'count' -d 'Blind counts by two staff members.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'discrepancy' -d 'Discrepancies between a blind count and the ledger.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'override' -d 'Break-glass override: two staff, one an admin; reviewed by a second admin.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'enroll' -d 'Enrol a staff member or a patient (a patient card needs two staff).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'lockdown' -d 'Switch lockdown on or off (admin).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'audit' -d 'The hash-chained audit log.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'report' -d 'Reports.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'log' -d 'dosecabd\'s events from the systemd journal.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'people' -d 'Enrolled staff and patients (numbers and cards, never names).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'sim' -d 'Drive the simulated cabinet (dosecabd --simulate only).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl status" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl status" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl status" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl outstanding" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl outstanding" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl outstanding" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl outstanding" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl releases" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl releases" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl releases" since' -l 'since' -d 'Since this date (YYYY-MM-DD, clinic time is not applied) or epoch milliseconds.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl releases" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl releases" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl holds" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl holds" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl holds" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl holds" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl hold" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl hold" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl hold" -eq 1' -fa 'clear' -d 'Clear a patient\'s hold with a reason.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl hold clear" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl hold clear" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl hold clear" reason' -l 'reason' -d 'Why the hold is cleared.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl hold clear" staff' -l 'staff' -d 'Your staff number (e.g. S-02).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl hold clear" pin' -l 'pin' -d 'Your PIN; \'-\' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl hold clear" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl hold clear" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl confirm" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl confirm" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl confirm" staff' -l 'staff' -d 'Your staff number (e.g. S-02).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl confirm" pin' -l 'pin' -d 'Your PIN; \'-\' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl confirm" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl confirm" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl rx" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl rx" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl rx" -eq 1' -fa 'import' -d 'Import a signed prescription bundle (all or nothing).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl rx" -eq 1' -fa 'list' -d 'Current prescriptions.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl rx import" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl rx import" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl rx import" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl rx import" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl rx list" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl rx list" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl rx list" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl rx list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl stock" -eq 1' -fa 'receive' -d 'Two-person receipt of units (serial, drug, strength, batch, expiry) into the cabinet.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl stock" -eq 1' -fa 'waste' -d 'Witnessed waste: a unit from stock (broken, expired, other) or a dose of a release (not-given, residue).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl stock" -eq 1' -fa 'list' -d 'Units in stock by drug, route and strength (and releasable: batch known, not expired).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" drug' -l 'drug' -d 'diacetylmorphine or methadone.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" route' -l 'route' -d 'injectable, inhalable or oral.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" strength-mg' -l 'strength-mg' -d 'Strength of each unit in mg.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" batch' -l 'batch' -d 'The manufacturer\'s batch (lot) number.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" expiry' -l 'expiry' -d 'Expiry date, YYYY-MM-DD (an expired unit is refused).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive"' -l 'serials' -d 'Unit serials.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" staff' -l 'staff' -d 'Your staff number (e.g. S-02).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" pin' -l 'pin' -d 'Your PIN; \'-\' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" witness' -l 'witness' -d 'The second staff member\'s number.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" witness-pin' -l 'witness-pin' -d 'The second staff member\'s PIN; \'-\' as for --pin (read after it).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock receive" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" reason' -l 'reason' -d 'broken, expired, not-given, residue or other.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" release' -l 'release' -d 'The release the dose was drawn for (not-given, residue).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" mg' -l 'mg' -d 'Milligrams destroyed (a unit from stock: its strength).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" note' -l 'note' -d 'What happened.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" staff' -l 'staff' -d 'Your staff number (e.g. S-02).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" pin' -l 'pin' -d 'Your PIN; \'-\' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" witness' -l 'witness' -d 'The second staff member\'s number.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" witness-pin' -l 'witness-pin' -d 'The second staff member\'s PIN; \'-\' as for --pin (read after it).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock waste" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock list" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock list" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock list" units' -l 'units' -d 'Also list each unit with its batch and expiry.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock list" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl stock list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl count" -eq 1' -fa 'start' -d 'Start a blind count: lists what to count, never the expected figures.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl count" -eq 1' -fa 'enter' -d 'Enter the counted figures (the two who started the count); a mismatch opens a discrepancy.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl count" -eq 1' -fa 'status' -d 'The count in progress (kinds only), the last count, and whether one is due.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count start" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count start" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count start" staff' -l 'staff' -d 'Your staff number (e.g. S-02).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count start" pin' -l 'pin' -d 'Your PIN; \'-\' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count start" witness' -l 'witness' -d 'The second staff member\'s number.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count start" witness-pin' -l 'witness-pin' -d 'The second staff member\'s PIN; \'-\' as for --pin (read after it).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count start" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count start" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count enter" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count enter" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count enter"' -l 'count' -d 'drug/route/strength=N, once per kind on the sheet (e.g. diacetylmorphine/injectable/200=40).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count enter" staff' -l 'staff' -d 'Your staff number (e.g. S-02).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count enter" pin' -l 'pin' -d 'Your PIN; \'-\' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count enter" witness' -l 'witness' -d 'The second staff member\'s number.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count enter" witness-pin' -l 'witness-pin' -d 'The second staff member\'s PIN; \'-\' as for --pin (read after it).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count enter" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count enter" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count status" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count status" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count status" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl count status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl discrepancy" -eq 1' -fa 'list' -d 'Open discrepancies (all with --all), with their escalation time.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl discrepancy" -eq 1' -fa 'resolve' -d 'Two staff members resolve a discrepancy: miscount, documented-waste, found, loss or suspected-theft.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy list" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy list" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy list" all' -l 'all' -d 'Also resolved ones.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy list" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve" resolution' -l 'resolution' -d 'miscount, documented-waste, found, loss or suspected-theft.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve" note' -l 'note' -d 'What was found and done.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve"' -l 'serials' -d 'For a loss or suspected theft: the serials of exactly the missing units.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve" staff' -l 'staff' -d 'Your staff number (e.g. S-02).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve" pin' -l 'pin' -d 'Your PIN; \'-\' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve" witness' -l 'witness' -d 'The second staff member\'s number.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve" witness-pin' -l 'witness-pin' -d 'The second staff member\'s PIN; \'-\' as for --pin (read after it).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl discrepancy resolve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl override" -eq 1' -fa 'open' -d 'Open an override for one named dose, for a bounded window (replaces the prescription check only).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl override" -eq 1' -fa 'close' -d 'Close an override before its window ends.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl override" -eq 1' -fa 'review' -d 'Sign off a closed or expired override (an admin who did not open it).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl override" -eq 1' -fa 'list' -d 'Overrides open or awaiting review (all with --all).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" patient' -l 'patient' -d 'Patient number.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" drug' -l 'drug' -d 'diacetylmorphine or methadone.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" route' -l 'route' -d 'injectable, inhalable or oral.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" dose-mg' -l 'dose-mg' -d 'The dose ordered, mg.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" minutes' -l 'minutes' -d 'Window in minutes (at most the configured override-max-minutes).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" reason' -l 'reason' -d 'Why the normal path cannot be used, and who ordered the dose.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" staff' -l 'staff' -d 'Your staff number (e.g. S-02).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" pin' -l 'pin' -d 'Your PIN; \'-\' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" witness' -l 'witness' -d 'The second staff member\'s number.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" witness-pin' -l 'witness-pin' -d 'The second staff member\'s PIN; \'-\' as for --pin (read after it).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override open" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override close" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override close" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override close" reason' -l 'reason' -d 'Why.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override close" staff' -l 'staff' -d 'Your staff number (e.g. S-02).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override close" pin' -l 'pin' -d 'Your PIN; \'-\' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override close" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override close" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override review" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override review" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override review" note' -l 'note' -d 'What the review found.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override review" staff' -l 'staff' -d 'Your staff number (e.g. S-02).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override review" pin' -l 'pin' -d 'Your PIN; \'-\' reads it from stdin (one PIN a line) or asks on the terminal without echo. A PIN given as a value is visible to every local user in ps: for demos and tests only.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override review" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override review" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override list" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override list" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override list" all' -l 'all' -d 'Also reviewed ones.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override list" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl override list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" id' -l 'id' -d 'Staff or patient number.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" facility' -l 'facility' -d 'Card facility code.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" card' -l 'card' -d 'Card number.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" format' -l 'format' -d 'Card format (h10301, h10306, c1000, h10302, h10304).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" new-pin' -l 'new-pin' -d 'The new person\'s PIN (4-8 digits); \'-\' reads it from stdin or the terminal.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" role' -l 'role' -d 'Staff role (nurse, clinician, pharmacist, admin).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" staff' -l 'staff' -d 'Enrolling staff number (patients).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" pin' -l 'pin' -d 'Enrolling staff PIN (patients); \'-\' reads it from stdin or the terminal (after --new-pin -).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" witness' -l 'witness' -d 'Second staff number (patients).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" witness-pin' -l 'witness-pin' -d 'Second staff PIN; \'-\' as for --pin (read after it).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl enroll" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl lockdown" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl lockdown" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl lockdown" reason' -l 'reason' -d 'Why.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl lockdown" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl lockdown" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl audit" -eq 1' -fa 'verify' -d 'Walk the chain; report the first edited, deleted or reordered record.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl audit" -eq 1' -fa 'list' -d 'Audit records from a sequence number.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit verify" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit verify" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit verify" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit verify" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit list" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit list" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit list" from' -l 'from' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit list" limit' -l 'limit' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit list" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl audit list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl report" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl report" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl report" -eq 1' -fa 'daily' -d 'The daily register and reconciliation.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl report daily" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl report daily" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl report daily" date' -l 'date' -d 'YYYY-MM-DD (default: today).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl report daily" format' -l 'format' -d 'text, json or csv.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl report daily" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl report daily" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl log" json' -l 'json' -d 'JSON lines.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl log" since' -l 'since' -d 'Only since then: a duration ago (90s, 15m, 2h, 1d) or a date YYYY-MM-DD (UTC).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl log" event' -l 'event' -d 'Only this event kind (release, return, refusal, hold, ...).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl log" directory' -l 'directory' -d 'Read a journal directory instead of the system journal.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl log" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl log" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl people" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl people" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl people" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl people" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl sim" -eq 1' -fa 'card' -d 'Present a card (real Wiegand edges), optionally with a PIN.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl sim" -eq 1' -fa 'keys' -d 'Type keys on the counter keypad (e.g. 1#).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl sim" -eq 1' -fa 'scan' -d 'Scan a unit with no beam: an issue scan.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl sim" -eq 1' -fa 'return' -d 'Scan a unit and break the chute beam: a return.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl sim" -eq 1' -fa 'door' -d 'Open or close the door.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl sim" -eq 1' -fa 'line' -d 'Set any input line (or read an output).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_positional "dosecabctl sim" -eq 1' -fa 'advance' -d 'Move the simulated clock (e.g. 90s, 15m, 2h).'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim card" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim card" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim card" facility' -l 'facility' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim card" format' -l 'format' -d 'h10301, h10306, c1000, h10302 or h10304.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim card" pin' -l 'pin' -d 'PIN digits, entered after the card, with #.' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim card" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim card" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim keys" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim keys" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim keys" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim keys" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim scan" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim scan" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim scan" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim scan" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim return" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim return" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim return" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim return" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim door" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim door" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim door" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim door" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim line" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim line" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim line" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim line" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim advance" socket' -l 'socket' -d 'Control socket (default: $DOSECAB_SOCKET or /run/dosecab/control.sock).' -rfka ''
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim advance" json' -l 'json' -d 'Print the reply as JSON.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim advance" version' -l 'version' -d 'Show the version.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl sim advance" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'dosecabctl' -n '__dosecabctl_should_offer_completions_for_flags_or_options "dosecabctl help" version' -l 'version' -d 'Show the version.'
