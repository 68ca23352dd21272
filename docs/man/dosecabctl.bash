#!/bin/bash

__dosecabctl_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__dosecabctl_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__dosecabctl_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__dosecabctl_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_dosecabctl() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    status|outstanding|releases|holds|hold|confirm|rx|stock|count|discrepancy|override|late-entry|observation|reauthorise|enroll|lockdown|audit|report|log|people|sim|help)
        # Offer subcommand argument completions
        "_dosecabctl_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'status outstanding releases holds hold confirm rx stock count discrepancy override late-entry observation reauthorise enroll lockdown audit report log people sim help' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_status() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_outstanding() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_releases() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --since)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--since')
        return
        ;;
    esac
}

_dosecabctl_holds() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_hold() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    clear)
        # Offer subcommand argument completions
        "_dosecabctl_hold_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'clear' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_hold_clear() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --reason --staff --pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--reason')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    esac
}

_dosecabctl_confirm() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --staff --pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    esac
}

_dosecabctl_rx() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    import|list|revoke-key)
        # Offer subcommand argument completions
        "_dosecabctl_rx_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'import list revoke-key' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_rx_import() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_rx_list() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_rx_revoke-key() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --reason --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--reason')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_stock() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    receive|waste|list)
        # Offer subcommand argument completions
        "_dosecabctl_stock_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'receive waste list' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_stock_receive() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=(--serials)
    non_repeating_options=(--socket --drug --route --strength-mg --batch --expiry --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--drug')
        return
        ;;
    '--route')
        return
        ;;
    '--strength-mg')
        return
        ;;
    '--batch')
        return
        ;;
    '--expiry')
        return
        ;;
    '--serials')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_stock_waste() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --reason --release --mg --note --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--reason')
        return
        ;;
    '--release')
        return
        ;;
    '--mg')
        return
        ;;
    '--note')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_stock_list() {
    repeating_flags=()
    non_repeating_flags=(--json --units --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_count() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    start|enter|cancel|status)
        # Offer subcommand argument completions
        "_dosecabctl_count_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'start enter cancel status' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_count_start() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_count_enter() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=(--count)
    non_repeating_options=(--socket --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--count')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_count_cancel() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --reason --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--reason')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_count_status() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_discrepancy() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|resolve)
        # Offer subcommand argument completions
        "_dosecabctl_discrepancy_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list resolve' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_discrepancy_list() {
    repeating_flags=()
    non_repeating_flags=(--json --all --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_discrepancy_resolve() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=(--serials)
    non_repeating_options=(--socket --resolution --note --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--resolution')
        return
        ;;
    '--note')
        return
        ;;
    '--serials')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_override() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    open|close|review|list)
        # Offer subcommand argument completions
        "_dosecabctl_override_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'open close review list' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_override_open() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --patient --drug --route --dose-mg --minutes --reason --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--patient')
        return
        ;;
    '--drug')
        return
        ;;
    '--route')
        return
        ;;
    '--dose-mg')
        return
        ;;
    '--minutes')
        return
        ;;
    '--reason')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_override_close() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --reason --staff --pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--reason')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    esac
}

_dosecabctl_override_review() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --note --staff --pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--note')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    esac
}

_dosecabctl_override_list() {
    repeating_flags=()
    non_repeating_flags=(--json --all --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_late-entry() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    add|close|list)
        # Offer subcommand argument completions
        "_dosecabctl_late-entry_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'add close list' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_late-entry_add() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=(--serials)
    non_repeating_options=(--socket --patient --drug --route --given-at --outcome --note --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--patient')
        return
        ;;
    '--drug')
        return
        ;;
    '--route')
        return
        ;;
    '--given-at')
        return
        ;;
    '--outcome')
        return
        ;;
    '--note')
        return
        ;;
    '--serials')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_late-entry_close() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --note --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--note')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_late-entry_list() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_observation() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    end)
        # Offer subcommand argument completions
        "_dosecabctl_observation_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'end' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_observation_end() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --patient --reason --staff --pin)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--patient')
        return
        ;;
    '--reason')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    esac
}

_dosecabctl_reauthorise() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --patient --reason --staff --pin)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--patient')
        return
        ;;
    '--reason')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    esac
}

_dosecabctl_enroll() {
    repeating_flags=()
    non_repeating_flags=(--json --replace --bootstrap --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --id --facility --card --format --new-pin --role --staff --pin --witness --witness-pin --second-id --second-role --second-facility --second-card --second-format --second-new-pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--id')
        return
        ;;
    '--facility')
        return
        ;;
    '--card')
        return
        ;;
    '--format')
        return
        ;;
    '--new-pin')
        return
        ;;
    '--role')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    '--second-id')
        return
        ;;
    '--second-role')
        return
        ;;
    '--second-facility')
        return
        ;;
    '--second-card')
        return
        ;;
    '--second-format')
        return
        ;;
    '--second-new-pin')
        return
        ;;
    esac
}

_dosecabctl_lockdown() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --reason --staff --pin)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--reason')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    esac
}

_dosecabctl_audit() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    verify|list)
        # Offer subcommand argument completions
        "_dosecabctl_audit_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'verify list' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_audit_verify() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --expect)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--expect')
        return
        ;;
    esac
}

_dosecabctl_audit_list() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --from --limit)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--from')
        return
        ;;
    '--limit')
        return
        ;;
    esac
}

_dosecabctl_report() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    daily)
        # Offer subcommand argument completions
        "_dosecabctl_report_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'daily' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_report_daily() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --date --format)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--date')
        return
        ;;
    '--format')
        return
        ;;
    esac
}

_dosecabctl_log() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--since --event --directory --unit --user)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--since')
        return
        ;;
    '--event')
        return
        ;;
    '--directory')
        return
        ;;
    '--unit')
        return
        ;;
    '--user')
        return
        ;;
    esac
}

_dosecabctl_people() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|link|unlink)
        # Offer subcommand argument completions
        "_dosecabctl_people_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list link unlink' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_people_list() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_people_link() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_people_unlink() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --reason --staff --pin --witness --witness-pin)
    __dosecabctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--reason')
        return
        ;;
    '--staff')
        return
        ;;
    '--pin')
        return
        ;;
    '--witness')
        return
        ;;
    '--witness-pin')
        return
        ;;
    esac
}

_dosecabctl_sim() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    card|keys|scan|return|door|line|advance)
        # Offer subcommand argument completions
        "_dosecabctl_sim_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'card keys scan return door line advance' -- "${cur}"))
        ;;
    esac
}

_dosecabctl_sim_card() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket --facility --format --pin)
    __dosecabctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    '--facility')
        return
        ;;
    '--format')
        return
        ;;
    '--pin')
        return
        ;;
    esac
}

_dosecabctl_sim_keys() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_sim_scan() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_sim_return() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_sim_door() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_sim_line() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_sim_advance() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __dosecabctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        return
        ;;
    esac
}

_dosecabctl_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __dosecabctl_offer_flags_options -1
}

complete -o filenames -F _dosecabctl dosecabctl
