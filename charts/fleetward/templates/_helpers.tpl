{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "fleetward.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, with the chart name appended unless the release already contains it. */}}
{{- define "fleetward.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "fleetward.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "fleetward.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "fleetward.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fleetward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "fleetward.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "fleetward.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Fleetward resource plurals, for RBAC rules. */}}
{{- define "fleetward.allKinds" -}}
- devicegroups
- updatephases
- rings
- maintenancewindows
- provisioningbatches
- softwareupdates
- fleetpolicies
- softwarereleases
- notificationproviders
- notificationrules
- deviceinventories
{{- end }}

{{- define "fleetward.allStatuses" -}}
- devicegroups/status
- updatephases/status
- rings/status
- maintenancewindows/status
- provisioningbatches/status
- softwareupdates/status
- fleetpolicies/status
- softwarereleases/status
- notificationproviders/status
- notificationrules/status
- deviceinventories/status
{{- end }}

{{/* What the operator may do with the Fleetward kinds, wherever it watches them. */}}
{{- define "fleetward.operatorWatchRules" -}}
- apiGroups: ["fleetward.dev"]
  resources:
    {{- include "fleetward.allKinds" . | nindent 4 }}
  verbs: ["get", "list", "watch"]
- apiGroups: ["fleetward.dev"]
  resources:
    {{- include "fleetward.allStatuses" . | nindent 4 }}
  verbs: ["get", "update", "patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/*
The Secrets holding the provisioning codes: provisioning.codesSecretName with -<shard> appended for a
sharded release, as `fleetward operator --shard` names it (each shard drops the codes of batches it does
not own, so shards cannot share them), and its -1 … siblings the codes are spread over.
*/}}
{{- define "fleetward.codesSecretName" -}}
{{- .Values.provisioning.codesSecretName }}{{ with .Values.operator.shard }}-{{ . }}{{ end }}
{{- end }}

{{/* Every Secret the codes are spread over: the codes Secret, then -1 … -(codeSecrets-1) (operator/secrets.ts codeSecretNames). */}}
{{- define "fleetward.codeSecretNames" -}}
{{- $base := include "fleetward.codesSecretName" . -}}
{{- range $i := until (int (.Values.provisioning.codeSecrets | default 4)) -}}
{{- if $i }}, {{ end }}{{ if eq $i 0 }}{{ $base | quote }}{{ else }}{{ printf "%s-%d" $base $i | quote }}{{ end }}
{{- end -}}
{{- end }}

{{/* Replicas: as set, else 1 for the sqlite state store (one writer of its volume) and 2 for postgres. */}}
{{- define "fleetward.replicas" -}}
{{- if kindIs "invalid" .Values.replicaCount -}}
{{- if eq .Values.state.backend "postgres" }}2{{ else }}1{{ end -}}
{{- else -}}
{{- .Values.replicaCount -}}
{{- end -}}
{{- end -}}

{{/*
V8's old-space limit in MiB (--max-old-space-size): operator.heapMiB, else three quarters of
resources.limits.memory (Gi, Mi, G or M), else nothing (Node's own default). With a limit V8 collects garbage
before it nears the container's memory limit, where without one it grows its heap lazily towards gigabytes and
the kubelet OOM-kills the pod (docs/kubernetes.md "Sizing").
*/}}
{{- define "fleetward.heapMiB" -}}
{{- if .Values.operator.heapMiB }}
{{- .Values.operator.heapMiB }}
{{- else }}
{{- $mem := toString ((.Values.resources.limits | default dict).memory | default "") }}
{{- $mib := 0 }}
{{- if regexMatch "^[0-9]+Gi$" $mem }}{{ $mib = mul (trimSuffix "Gi" $mem | atoi) 1024 }}
{{- else if regexMatch "^[0-9]+Mi$" $mem }}{{ $mib = trimSuffix "Mi" $mem | atoi }}
{{- else if regexMatch "^[0-9]+G$" $mem }}{{ $mib = div (mul (trimSuffix "G" $mem | atoi) 1000000000) 1048576 }}
{{- else if regexMatch "^[0-9]+M$" $mem }}{{ $mib = div (mul (trimSuffix "M" $mem | atoi) 1000000) 1048576 }}
{{- end }}
{{- if gt $mib 0 }}{{ div (mul $mib 3) 4 }}{{ end }}
{{- end }}
{{- end }}
