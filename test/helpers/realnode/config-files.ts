/**
 * The node's configuration files, as pure functions of where things are.
 * What this kind of machine needs is written beside each setting: root
 * without CAP_SYS_RESOURCE, cgroups v1 (hybrid), no systemd.
 */
export interface NodeLayout {
  /** Per-run state: certificates, etcd data, kubelet root, CNI leases, logs. */
  state: string;
  /** Sockets and containerd's runtime state. */
  run: string;
  /** containerd's root (its image store), kept between runs so that images are imported once. */
  containerdRoot: string;
  containerdSocket: string;
  podCidr: string;
  serviceCidr: string;
  /** The CNI bridge and the network name CNI tags its iptables rules with. */
  bridge: string;
  network: string;
  nodeName: string;
  nodeIp: string;
  pauseImage: string;
}

export function containerdConfig(layout: NodeLayout): string {
  return `version = 2
root = "${layout.containerdRoot}"
state = "${layout.run}/containerd"
[grpc]
  address = "${layout.containerdSocket}"
[ttrpc]
  address = "${layout.containerdSocket}.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${layout.pauseImage}"
  # Root here lacks CAP_SYS_RESOURCE: runc cannot write the negative oom_score_adj the kubelet
  # asks for (-998 for sandboxes) and every sandbox fails with "can't get final child's PID from
  # pipe: EOF". Clamped to containerd's own score instead.
  restrict_oom_score_adj = true
  enable_cdi = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${layout.state}/cni/net.d"
`;
}

export function cniConfig(layout: NodeLayout): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: layout.network,
      plugins: [
        {
          type: 'bridge',
          bridge: layout.bridge,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: layout.podCidr }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: `${layout.state}/cni/ipam` },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(layout: NodeLayout, ports: { kubelet: number; healthz: number }, dnsIp: string): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://${layout.containerdSocket}
# No systemd here (PID 1 is not an init system).
cgroupDriver: cgroupfs
failSwapOn: false
# cgroups v1 (hybrid): kubelet 1.35+ refuses it unless told (the node carries a CgroupV1 warning event).
failCgroupV1: false
cgroupsPerQOS: true
enforceNodeAllocatable: []
podCIDR: ${layout.podCidr}
address: ${layout.nodeIp}
port: ${ports.kubelet}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${ports.healthz}
authentication: { anonymous: { enabled: true }, webhook: { enabled: false } }
authorization: { mode: AlwaysAllow }
resolvConf: /etc/resolv.conf
clusterDomain: cluster.local
clusterDNS: [ "${dnsIp}" ]
# Never remove images: nothing could pull them back.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%" }
serializeImagePulls: false
`;
}

export function kubeconfig(server: string, caFile: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: realnode
  cluster: { server: "${server}", certificate-authority: "${caFile}" }
users:
- name: user
  user: { token: "${token}" }
contexts:
- name: realnode
  context: { cluster: realnode, user: user }
current-context: realnode
`;
}

/** CoreDNS as a cluster's kube-dns: a Deployment and the Service at the kubelet's clusterDNS address. */
export function corednsManifest(image: string, dnsIp: string): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata: { name: coredns, namespace: kube-system }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "system:coredns" }
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "system:coredns" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns" }
subjects: [{ kind: ServiceAccount, name: coredns, namespace: kube-system }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: coredns, namespace: kube-system }
data:
  Corefile: |
    .:53 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
        }
        cache 30
        loop
        reload
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: coredns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  replicas: 1
  selector: { matchLabels: { k8s-app: kube-dns } }
  template:
    metadata: { labels: { k8s-app: kube-dns } }
    spec:
      serviceAccountName: coredns
      dnsPolicy: Default
      containers:
        - name: coredns
          image: ${image}
          imagePullPolicy: Never
          args: [ "-conf", "/etc/coredns/Corefile" ]
          ports:
            - { name: dns, containerPort: 53, protocol: UDP }
            - { name: dns-tcp, containerPort: 53, protocol: TCP }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { add: [NET_BIND_SERVICE], drop: [ALL] }
          readinessProbe: { httpGet: { path: /ready, port: 8181 }, periodSeconds: 2 }
          livenessProbe: { httpGet: { path: /health, port: 8080 }, periodSeconds: 10 }
          volumeMounts: [{ name: config, mountPath: /etc/coredns, readOnly: true }]
      volumes:
        - name: config
          configMap: { name: coredns }
---
apiVersion: v1
kind: Service
metadata: { name: kube-dns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  clusterIP: ${dnsIp}
  selector: { k8s-app: kube-dns }
  ports:
    - { name: dns, port: 53, protocol: UDP }
    - { name: dns-tcp, port: 53, protocol: TCP }
`;
}
