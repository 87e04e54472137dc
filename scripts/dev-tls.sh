#!/usr/bin/env bash
# Creates (or renews) the development TLS material of a local cluster with nothing but the JDK's keytool.
#
#   scripts/dev-tls.sh DIR N            create DIR's CA and certificates unless present (gateway, node-1..node-N)
#   scripts/dev-tls.sh DIR N --rotate   issue new keys and certificates from the same CA, replacing each atomically
#
# DIR (mode 0700) then holds:
#   ca.pem                 the CA certificate, PEM (public; what every process trusts)
#   ca.p12, ca.pass        the CA's key (PKCS#12) and its password: only this script needs them
#   <id>.p12, <id>.pass    per identity (gateway, node-1 ... node-N): its key and chain (leaf + CA), and password
#   <id>.san               the names its certificate was issued with; a certificate issued with other names (an
#                          older version of this script, another DEV_TLS_EXTRA_SAN) is issued again
# Every file but ca.pem is 0600, created that way (umask 077). An identity's certificate carries the URI SAN
# spiffe://shardvault/gateway or spiffe://shardvault/node/<i>, the DNS name that only it carries
# (gateway.shardvault.internal, node-<i>.shardvault.internal: what the cluster's own clients verify), plus IP
# 127.0.0.1 and DNS localhost (and DEV_TLS_EXTRA_SAN, e.g. "ip:10.0.0.5", when set). Passwords reach keytool through files, never arguments.
# Keys are EC P-256; certificates last DEV_TLS_DAYS (default 365) days, the CA 3650.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib/jdk.sh"
shardvault_find_jdk

[ $# -ge 2 ] || { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
DIR=$1
N=$2
ROTATE=${3:-}
case "$N" in ''|*[!0-9]*) echo "dev-tls.sh: N must be a number, got '$N'" >&2; exit 2 ;; esac
[ -z "$ROTATE" ] || [ "$ROTATE" = --rotate ] || { echo "dev-tls.sh: unknown option $ROTATE" >&2; exit 2; }
DAYS=${DEV_TLS_DAYS:-365}
# keytool runs a dozen short JVMs: start them cheap.
keytool() { "$JAVA_HOME/bin/keytool" -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC "$@"; }
umask 077
mkdir -p "$DIR"
chmod 700 "$DIR"

random_password() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }
kt() { keytool "$@" >/dev/null 2>"$DIR/.keytool.err" || { cat "$DIR/.keytool.err" >&2; exit 1; }; }

if [ ! -s "$DIR/ca.p12" ]; then
  [ -z "$ROTATE" ] || { echo "dev-tls.sh: no CA in $DIR to rotate from" >&2; exit 1; }
  random_password > "$DIR/ca.pass"
  kt -genkeypair -keystore "$DIR/ca.p12" -storetype PKCS12 -storepass:file "$DIR/ca.pass" -alias ca \
     -keyalg EC -groupname secp256r1 -dname "CN=ShardVault development CA" -validity 3650 \
     -ext bc:c=ca:true,pathlen:0 -ext ku:c=keyCertSign,cRLSign
  ( umask 022; keytool -exportcert -rfc -keystore "$DIR/ca.p12" -storepass:file "$DIR/ca.pass" -alias ca \
      -file "$DIR/ca.pem.new" >/dev/null 2>&1 )
  mv "$DIR/ca.pem.new" "$DIR/ca.pem"
  echo "created a development CA in $DIR"
fi

san_of() { # san_of STEM URI: the subject alternative names of STEM's certificate
  echo "uri:$2,dns:$1.shardvault.internal,ip:127.0.0.1,dns:localhost${DEV_TLS_EXTRA_SAN:+,$DEV_TLS_EXTRA_SAN}"
}

issue() { # issue STEM URI: a key and a certificate from the CA, into STEM.p12, replacing any older one atomically
  local stem=$1 uri=$2 work="$DIR/.work-$1" san
  rm -rf "$work"; mkdir "$work"
  cp "$DIR/ca.p12" "$work/signer.p12"
  [ -s "$DIR/$stem.pass" ] || random_password > "$DIR/$stem.pass"
  san=$(san_of "$stem" "$uri")
  keytool -genkeypair -keystore "$work/signer.p12" -storepass:file "$DIR/ca.pass" -alias "$stem" \
     -keyalg EC -groupname secp256r1 -dname "CN=$stem" -validity "$DAYS" -signer ca -signerkeypass:file "$DIR/ca.pass" \
     -ext "san=$san" -ext ku:c=digitalSignature -ext eku=serverAuth,clientAuth >/dev/null 2>"$work/err" \
  && keytool -importkeystore -noprompt -srckeystore "$work/signer.p12" -srcstorepass:file "$DIR/ca.pass" -srcalias "$stem" \
     -destkeystore "$work/$stem.p12" -deststoretype PKCS12 -deststorepass:file "$DIR/$stem.pass" -destalias "$stem" \
     >/dev/null 2>>"$work/err" \
  || { echo "dev-tls.sh: issuing $stem failed:" >&2; cat "$work/err" >&2; return 1; }
  mv "$work/$stem.p12" "$DIR/$stem.p12"
  echo "$san" > "$DIR/$stem.san" # what it was issued with: a certificate with other names is issued again
  rm -rf "$work"
}

pids=()
stems=(gateway)
for i in $(seq 1 "$N"); do stems+=("node-$i"); done
for stem in "${stems[@]}"; do
  if [ "$stem" = gateway ]; then uri=spiffe://shardvault/gateway; else uri="spiffe://shardvault/node/${stem#node-}"; fi
  if [ -n "$ROTATE" ] || [ ! -s "$DIR/$stem.p12" ] || [ "$(cat "$DIR/$stem.san" 2>/dev/null)" != "$(san_of "$stem" "$uri")" ]; then
    issue "$stem" "$uri" & pids+=($!)
  fi
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
rm -f "$DIR/.keytool.err"
[ "$failed" = 0 ] || exit 1
if [ ${#pids[@]} -gt 0 ]; then
  if [ -n "$ROTATE" ]; then echo "renewed ${#pids[@]} certificate(s) in $DIR"; else echo "issued ${#pids[@]} certificate(s) in $DIR"; fi
fi
