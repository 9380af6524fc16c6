{{/*
Names. Objects are named <release>-<component> (the NATS client Service is <release>-nats);
cluster-scoped objects add the namespace, so two releases of the same name cannot collide.
*/}}
{{- define "colony.controller.name" -}}{{ .Release.Name }}-controller{{- end }}
{{- define "colony.gateway.name" -}}{{ .Release.Name }}-gateway{{- end }}
{{- define "colony.nats.name" -}}{{ .Release.Name }}-nats{{- end }}
{{- define "colony.nats.headless" -}}{{ .Release.Name }}-nats-headless{{- end }}
{{- define "colony.controller.clusterName" -}}{{ .Release.Namespace }}-{{ .Release.Name }}-controller{{- end }}

{{/* Labels of every object; pods add their component (colony.selectorLabels). */}}
{{- define "colony.labels" -}}
app.kubernetes.io/name: colony
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: colony
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/*
Selector labels of one component's pods. Call with (dict "root" $ "component" "gateway").
part-of=colony is what the NATS NetworkPolicy admits.
*/}}
{{- define "colony.selectorLabels" -}}
app.kubernetes.io/name: colony
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: colony
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* An image reference. Call with (dict "root" $ "image" .Values.gateway.image). */}}
{{- define "colony.image" -}}
{{- $registry := .root.Values.image.registry | trimSuffix "/" -}}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if $registry -}}{{ $registry }}/{{- end -}}{{ .image.repository }}:{{ $tag }}
{{- end }}

{{/*
The NATS URL of the controller, the gateway and (through the controller) the runtime pods.
Fully qualified: runtime pods run in the watched namespaces, not in the release namespace.
*/}}
{{- define "colony.natsUrl" -}}
{{- if .Values.nats.enabled -}}
nats://{{ include "colony.nats.name" . }}.{{ .Release.Namespace }}.svc.{{ .Values.clusterDomain }}:4222
{{- else -}}
{{- required "nats.externalUrl is required when nats.enabled is false" .Values.nats.externalUrl -}}
{{- end -}}
{{- end }}

{{/* Whether Colony's NATS clients send a token: this release's NATS with auth, or an external NATS with a Secret. */}}
{{- define "colony.natsAuth" -}}
{{- if or (and .Values.nats.enabled .Values.nats.auth.enabled) .Values.nats.auth.existingSecret -}}true{{- end -}}
{{- end }}

{{/* The Secret with the NATS token. */}}
{{- define "colony.natsAuthSecret" -}}
{{- .Values.nats.auth.existingSecret | default (printf "%s-nats-auth" .Release.Name) -}}
{{- end }}

{{/* COLONY_NATS_TOKEN from the token Secret, for a container's env, when NATS takes a token. */}}
{{- define "colony.natsTokenEnv" -}}
{{- if include "colony.natsAuth" . }}
- name: COLONY_NATS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "colony.natsAuthSecret" . }}
      key: {{ .Values.nats.auth.secretKey }}
{{- end }}
{{- end }}

{{/* JetStream replicas of the KV buckets: kvReplicas, else the NATS servers of this chart, else 1. */}}
{{- define "colony.kvReplicas" -}}
{{- if not (kindIs "invalid" .Values.kvReplicas) -}}
{{- if and .Values.nats.enabled (gt (int .Values.kvReplicas) (int .Values.nats.replicas)) -}}
{{- fail (printf "kvReplicas (%d) cannot exceed nats.replicas (%d)" (int .Values.kvReplicas) (int .Values.nats.replicas)) -}}
{{- end -}}
{{- .Values.kvReplicas -}}
{{- else if .Values.nats.enabled -}}
{{- .Values.nats.replicas -}}
{{- else -}}
1
{{- end -}}
{{- end }}

{{/* Namespaces whose Agents run: the watched ones, or none listed (all). */}}
{{- define "colony.watchNamespaces" -}}
{{- join "," .Values.controller.watchNamespaces -}}
{{- end }}

{{/* Namespaces that get the runtime pods' NetworkPolicy, as a JSON list. */}}
{{- define "colony.runtimeNamespaces" -}}
{{- $namespaces := .Values.networkPolicies.runtimeNamespaces -}}
{{- if not $namespaces -}}
{{- $namespaces = .Values.controller.watchNamespaces | default (list .Values.gateway.agentNamespace) -}}
{{- end -}}
{{- $namespaces | uniq | toJson -}}
{{- end }}

{{/*
Soft anti-affinity that spreads one component's pods over nodes, used when its affinity is empty.
Call with (dict "root" $ "component" "controller" "affinity" .Values.controller.affinity).
*/}}
{{- define "colony.affinity" -}}
{{- if .affinity -}}
{{ toYaml .affinity }}
{{- else -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "colony.selectorLabels" (dict "root" .root "component" .component) | nindent 12 }}
{{- end -}}
{{- end }}

{{/* imagePullSecrets of the controller and gateway pods. */}}
{{- define "colony.imagePullSecrets" -}}
{{- with .Values.image.pullSecrets -}}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end -}}
{{- end }}

{{/* RBAC rules of the controller on Agents and what it makes for them, in a watched namespace or cluster-wide. */}}
{{- define "colony.controller.rules" -}}
- apiGroups: ["colony.dev"]
  resources: ["agents"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["colony.dev"]
  resources: ["agents/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- if include "colony.natsAuth" . }}
# The NATS token of each Agent's pods, in the Agent's namespace (server-side apply: create and
# patch; never get or list, so no other Secret can be read).
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["create", "patch", "delete"]
{{- end }}
{{- end }}
