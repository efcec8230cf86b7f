# bash completion for fwmatrix
_fwmatrix() {
  local cur prev words cword
  _init_completion || return
  local commands="check ports explain diff matrix rules"
  local roles="all-servers all-internal-servers front-end front-end-cms collocated-mediation mediation director persistent-chat office-web-apps edge-internal edge-external front-end-lb front-end-lb-with-mediation mediation-lb director-lb client ip-phone exchange-um"
  if [[ $cword -eq 1 ]]; then
    COMPREPLY=($(compgen -W "$commands --version --help" -- "$cur"))
    return
  fi
  case $prev in
    --role) COMPREPLY=($(compgen -W "$roles" -- "$cur")); return ;;
    --report) COMPREPLY=($(compgen -W "text sarif json markdown html" -- "$cur")); return ;;
    --fail-on) COMPREPLY=($(compgen -W "error warning note none" -- "$cur")); return ;;
    --format|--old-format) COMPREPLY=($(compgen -W "iptables ip6tables" -- "$cur")); return ;;
    --proto) COMPREPLY=($(compgen -W "tcp udp" -- "$cur")); return ;;
    --direction) COMPREPLY=($(compgen -W "in out forward" -- "$cur")); return ;;
    --lb-mode) COMPREPLY=($(compgen -W "hardware dns" -- "$cur")); return ;;
    -o|--output|--baseline|--pack|--rules-dir|--topology|--ipsec) _filedir; return ;;
  esac
  local limits="--max-file-size --max-line-length --max-include-depth --max-macro-expansion --max-set-combinations --max-call-depth --max-pieces --max-redundancy-checks"
  case ${words[1]} in
    check) COMPREPLY=($(compgen -W "--format --pack --rules-dir --role --lb-mode --report -o --fail-on --baseline --category $limits" -- "$cur")) ;;
    ports) COMPREPLY=($(compgen -W "--format --proto --src --dst --sport --iface --direction --json $limits" -- "$cur")) ;;
    explain) COMPREPLY=($(compgen -W "--format --proto --dport --src --dst --sport --iface --direction $limits" -- "$cur")) ;;
    diff) COMPREPLY=($(compgen -W "--format --old-format --pack --role --lb-mode --report -o $limits" -- "$cur")) ;;
    matrix) COMPREPLY=($(compgen -W "show --pack --role --lb-mode --json" -- "$cur")) ;;
    rules) COMPREPLY=($(compgen -W "FWM001 FWM002 FWM003 FWM020 FWM021 FWM022 FWM030 FWM031 FWM090 FWM091" -- "$cur")) ;;
  esac
  [[ $cur != -* ]] && _filedir
}
complete -F _fwmatrix fwmatrix
