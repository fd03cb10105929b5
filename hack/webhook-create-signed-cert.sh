#!/usr/bin/env bash
# Creates the admission webhook's private key and a serving certificate signed through the cluster's
# CertificateSigningRequest API, stores both in the Secret the operator's Deployment mounts
# (keys apiserver.crt / apiserver.key), and writes the signing CA into the MutatingWebhookConfiguration's caBundle.
#
# On OpenShift, the service CA operator is simpler (see README, "Webhook certificates"); the operator's
# self-managed mode needs neither.
#
# Usage: hack/webhook-create-signed-cert.sh [--service quay-integration] [--namespace quay-integration]
#          [--secret quay-integration-webhook] [--webhook quay-integration]
#          [--signer-name kubernetes.io/kubelet-serving] [--ca-bundle-file FILE] [--kubectl kubectl]
set -euo pipefail

service=quay-integration
namespace=quay-integration
secret=quay-integration-webhook
webhook=quay-integration
signer=kubernetes.io/kubelet-serving
ca_bundle_file=
kubectl=${KUBECTL:-kubectl}

die() { echo "webhook-create-signed-cert: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --service) service=${2:?--service needs a value}; shift 2 ;;
    --namespace) namespace=${2:?--namespace needs a value}; shift 2 ;;
    --secret) secret=${2:?--secret needs a value}; shift 2 ;;
    --webhook) webhook=${2:?--webhook needs a value}; shift 2 ;;
    --signer-name) signer=${2:?--signer-name needs a value}; shift 2 ;;
    --ca-bundle-file) ca_bundle_file=${2:?--ca-bundle-file needs a value}; shift 2 ;;
    --kubectl) kubectl=${2:?--kubectl needs a value}; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
command -v openssl >/dev/null || die "openssl is required"
command -v "$kubectl" >/dev/null || die "kubectl is required (or pass --kubectl)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
csr_name="${service}.${namespace}"
dns="${service}.${namespace}.svc"

# kubelet-serving is the signer every cluster approves for serving certificates; it requires the
# system:node subject form, and still signs the service DNS names we put in the SANs.
if [ "$signer" = "kubernetes.io/kubelet-serving" ]; then
  subject="/O=system:nodes/CN=system:node:${dns}"
else
  subject="/CN=${dns}"
fi
openssl req -new -nodes -newkey rsa:2048 -keyout "$work/apiserver.key" -out "$work/server.csr" -subj "$subject" \
  -addext "subjectAltName=DNS:${service},DNS:${service}.${namespace},DNS:${dns},DNS:${dns}.cluster.local" 2>/dev/null

"$kubectl" delete certificatesigningrequest "$csr_name" --ignore-not-found >/dev/null
cat <<CSR | "$kubectl" create -f - >/dev/null
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: ${csr_name}
spec:
  signerName: ${signer}
  request: $(base64 < "$work/server.csr" | tr -d '\n')
  usages: ["digital signature", "key encipherment", "server auth"]
CSR
"$kubectl" certificate approve "$csr_name" >/dev/null

certificate=
for _ in $(seq 1 30); do
  certificate=$("$kubectl" get certificatesigningrequest "$csr_name" -o jsonpath='{.status.certificate}' 2>/dev/null || true)
  [ -n "$certificate" ] && break
  sleep 1
done
[ -n "$certificate" ] || die "the CSR ${csr_name} was approved but not signed within 30s (is signer ${signer} served by this cluster?)"
echo "$certificate" | base64 -d > "$work/apiserver.crt"

"$kubectl" create secret generic "$secret" --namespace "$namespace" \
  --from-file=apiserver.crt="$work/apiserver.crt" --from-file=apiserver.key="$work/apiserver.key" \
  --dry-run=client -o yaml | "$kubectl" apply -f - >/dev/null

# The CA that signed the certificate: given explicitly, or the current cluster's CA from the kubeconfig.
if [ -n "$ca_bundle_file" ]; then
  ca_bundle=$(base64 < "$ca_bundle_file" | tr -d '\n')
else
  ca_bundle=$("$kubectl" config view --raw --minify --flatten -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
fi
[ -n "$ca_bundle" ] || die "could not determine the CA bundle; pass --ca-bundle-file"
"$kubectl" patch mutatingwebhookconfiguration "$webhook" --type=json \
  -p "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"${ca_bundle}\"}]" >/dev/null

echo "webhook certificate for ${dns} stored in secret ${namespace}/${secret}; caBundle of ${webhook} updated"
