#!/bin/bash
KUBELET_VERSION='1.14.3'
MASTER='198.51.100.7:6443'
TOKEN='w0rk3r.0123456789abcdef'
NAMESPACE='default'
MACHINE='default/demo-worker-0'
CLUSTER_DNS_DOMAIN='cluster.local'
POD_CIDR='10.244.0.0/16'
SERVICE_CIDR='10.96.0.0/12'
ROLE='node'
CR_PACKAGE='docker-ce=5:18.09.7~3-0~ubuntu-bionic'
NODE_NAME='demo-worker-0'
KUBEADM_CONFIG='YXBpVmVyc2lvbjoga3ViZWFkbS5rOHMuaW8vdjFiZXRhMQpraW5kOiBKb2luQ29uZmlndXJhdGlvbgpkaXNjb3Zlcnk6CiAgYm9vdHN0cmFwVG9rZW46CiAgICBhcGlTZXJ2ZXJFbmRwb2ludDogIjE5OC41MS4xMDAuNzo2NDQzIgogICAgdG9rZW46IHcwcmszci4wMTIzNDU2Nzg5YWJjZGVmCiAgICBjYUNlcnRIYXNoZXM6CiAgICAtIHNoYTI1NjoyYzFiOGYyZTNhOWQ0YzViNmE3ZjhlOWQwYzFiMmEzZjRlNWQ2YzdiOGE5ZjBlMWQyYzNiNGE1ZjZlN2Q4YzliCiAgdGltZW91dDogIjMwbTBzIgpub2RlUmVnaXN0cmF0aW9uOgogIG5hbWU6IGRlbW8td29ya2VyLTAKICBjcmlTb2NrZXQ6IC92YXIvcnVuL2RvY2tlcnNoaW0uc29jawogIGt1YmVsZXRFeHRyYUFyZ3M6CiAgICBjbG91ZC1wcm92aWRlcjogZXh0ZXJuYWwK'
MASTER_CA_CERT_HASH='sha256:2c1b8f2e3a9d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b'
# Seed-format script: the variable header above is rendered by PacketCluster.
set -euo pipefail
exec > >(tee -a /var/log/startup.log) 2>&1
# No "set -x": the header variables hold keys and tokens, and a trace would copy them into the log.

CA_CERT_DIR=/etc/kubernetes/pki
KUBEADM_CONFIG_FILE=/etc/kubernetes/kubeadm-config.yaml

# write_b64 PATH MODE BASE64: decode a header variable into a file created with MODE.
write_b64() {
  install -d -m 0755 "$(dirname "$1")"
  (umask 077 && echo "$3" | base64 -d > "$1")
  chmod "$2" "$1"
}

swapoff -a
modprobe br_netfilter
sysctl -w net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y apt-transport-https ca-certificates curl gnupg lsb-release socat conntrack ebtables ethtool

# Docker, pinned by the catalogue entry (CR_PACKAGE) and held.
install -d -m 0755 /etc/apt/keyrings
curl -fsSL https://download.docker.com/linux/ubuntu/gpg | gpg --dearmor -o /etc/apt/keyrings/docker.gpg
echo "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/ubuntu $(lsb_release -cs) stable" > /etc/apt/sources.list.d/docker.list
apt-get update
apt-get install -y "${CR_PACKAGE}"
apt-mark hold "${CR_PACKAGE%%=*}"
systemctl enable --now docker

# apt.kubernetes.io is gone: the release binaries, the kubelet unit and kubeadm's drop-in.
for b in kubeadm kubelet kubectl; do
  curl -fsSLo "/usr/local/bin/$b" "https://dl.k8s.io/release/v${KUBELET_VERSION}/bin/linux/amd64/$b"
  echo "$(curl -fsSL "https://dl.k8s.io/release/v${KUBELET_VERSION}/bin/linux/amd64/$b.sha1")  /usr/local/bin/$b" | sha1sum -c -
  chmod 0755 "/usr/local/bin/$b"
done
mkdir -p /opt/cni/bin
curl -fsSL https://github.com/containernetworking/plugins/releases/download/v0.7.5/cni-plugins-amd64-v0.7.5.tgz | tar -xz -C /opt/cni/bin
mkdir -p /etc/systemd/system/kubelet.service.d
cat > /etc/systemd/system/kubelet.service <<'UNIT'
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
After=docker.service

[Service]
ExecStart=/usr/local/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT
cat > /etc/systemd/system/kubelet.service.d/10-kubeadm.conf <<'UNIT'
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
UNIT
systemctl daemon-reload
systemctl enable kubelet

# The complete kubeadm config was rendered at create time (endpoint, tokens, CA pin, CIDRs, node name).
write_b64 "$KUBEADM_CONFIG_FILE" 0600 "$KUBEADM_CONFIG"

if [ "$ROLE" = master ]; then
  write_b64 "$CA_CERT_DIR/ca.crt" 0644 "$MASTER_CA_CERTIFICATE"
  write_b64 "$CA_CERT_DIR/ca.key" 0600 "$MASTER_CA_PRIVATE_KEY"
  write_b64 "$CA_CERT_DIR/etcd/ca.crt" 0644 "$ETCD_CA_CERTIFICATE"
  write_b64 "$CA_CERT_DIR/etcd/ca.key" 0600 "$ETCD_CA_PRIVATE_KEY"
  write_b64 "$CA_CERT_DIR/front-proxy-ca.crt" 0644 "$FRONT_PROXY_CA_CERTIFICATE"
  write_b64 "$CA_CERT_DIR/front-proxy-ca.key" 0600 "$FRONT_PROXY_CA_PRIVATE_KEY"
  write_b64 "$CA_CERT_DIR/sa.pub" 0644 "$SA_PUBLIC_KEY"
  write_b64 "$CA_CERT_DIR/sa.key" 0600 "$SA_PRIVATE_KEY"
  kubeadm init --config "$KUBEADM_CONFIG_FILE"
else
  # The join config pins the CA (MASTER_CA_CERT_HASH); no preflight errors are ignored.
  kubeadm join --config "$KUBEADM_CONFIG_FILE"
fi
