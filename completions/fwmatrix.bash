# bash completion for fwmatrix
_fwmatrix() {
  local cur prev words cword
  _init_completion || return
  local commands="check ports explain diff fix matrix rules"
  local roles="all-servers all-internal-servers front-end front-end-cms collocated-mediation mediation director persistent-chat office-web-apps edge-internal edge-external edge-access-external edge-webconf-external reverse-proxy front-end-lb front-end-lb-with-mediation mediation-lb director-lb client ip-phone exchange-um"
  local formats="iptables ip6tables nftables nft-json pf windows wfw windows-reg netsh powershell iptables-save ip6tables-save nft"
  local ids="FWM001 FWM002 FWM003 FWM010 FWM011 FWM020 FWM021 FWM022 FWM030 FWM031 FWM090 FWM091"
  if [[ $cword -eq 1 ]]; then
    COMPREPLY=($(compgen -W "$commands --version --help" -- "$cur"))
    return
  fi
  case $prev in
    --role) COMPREPLY=($(compgen -W "$roles" -- "$cur")); return ;;
    --report)
      if [[ ${words[1]} == diff ]]; then
        COMPREPLY=($(compgen -W "text json markdown sarif" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "text sarif json markdown html" -- "$cur"))
      fi
      return ;;
    --fail-on) COMPREPLY=($(compgen -W "error warning note none" -- "$cur")); return ;;
    --format|--old-format) COMPREPLY=($(compgen -W "$formats" -- "$cur")); return ;;
    --profile) COMPREPLY=($(compgen -W "Domain Private Public" -- "$cur")); return ;;
    --proto) COMPREPLY=($(compgen -W "tcp udp" -- "$cur")); return ;;
    --direction) COMPREPLY=($(compgen -W "in out forward" -- "$cur")); return ;;
    --lb-mode) COMPREPLY=($(compgen -W "hardware dns" -- "$cur")); return ;;
    --pack) COMPREPLY=($(compgen -W "sfb2015 sfb2015-edge sfb2019-edge" -- "$cur")); _filedir; return ;;
    --rules-dir) _filedir -d; return ;;
    -o|--output|--baseline|--topology|--ipsec|--config) _filedir; return ;;
    --category|--src|--dst|--sport|--dport|--iface) return ;;
  esac
  local limits="--max-file-size --max-line-length --max-include-depth --max-macro-expansion --max-set-combinations --max-call-depth --max-pieces --max-redundancy-checks"
  case ${words[1]} in
    check) COMPREPLY=($(compgen -W "--format --profile --pack --config --no-config --allow-outside --rules-dir --role --topology --ipsec --lb-mode --report -o --output --fail-on --category --baseline --new-only -q --quiet --help $limits" -- "$cur")) ;;
    ports) COMPREPLY=($(compgen -W "--format --profile --proto --src --dst --sport --iface --direction --allow-outside --json --help $limits" -- "$cur")) ;;
    explain) COMPREPLY=($(compgen -W "--format --profile --allow-outside --proto --dport --src --dst --sport --iface --direction --help $limits" -- "$cur")) ;;
    diff) COMPREPLY=($(compgen -W "--format --old-format --pack --rules-dir --role --lb-mode --report -o --output --fail-on -q --quiet --help $limits" -- "$cur")) ;;
    fix) COMPREPLY=($(compgen -W "--format --pack --rules-dir --role --topology --ipsec --lb-mode -o --output --in-place --diff --allow-outside -q --quiet --help $limits" -- "$cur")) ;;
    matrix) COMPREPLY=($(compgen -W "show --pack --rules-dir --role --lb-mode --json --help" -- "$cur")) ;;
    rules) COMPREPLY=($(compgen -W "$ids --help" -- "$cur")) ;;
  esac
  [[ $cur != -* && ${words[1]} != rules && ${words[1]} != matrix ]] && _filedir
}
complete -F _fwmatrix fwmatrix
