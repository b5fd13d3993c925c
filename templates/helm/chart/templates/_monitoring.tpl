{{/*
Shared by the chart's own monitoring stack (monitoring-*.yaml), hardened as the OpenIM pods are.
*/}}

{{/* The pod's security context: the image's own user, and its group on the volumes it writes. (dict "c" .Values.monitoring.<name>) */}}
{{- define "openim.monitoringPodSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ int .c.runAsUser }}
  runAsGroup: {{ int .c.runAsGroup }}
  fsGroup: {{ int .c.runAsUser }}
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* A container's security context, resources and HTTP probes on its port named http. (dict "c" . "ready" "/-/ready" "live" "/-/healthy") */}}
{{- define "openim.monitoringContainer" -}}
ports:
  - name: http
    containerPort: {{ int .c.containerPort }}
    protocol: TCP
readinessProbe:
  httpGet:
    path: {{ .ready | quote }}
    port: http
  initialDelaySeconds: 5
  periodSeconds: 10
livenessProbe:
  httpGet:
    path: {{ .live | quote }}
    port: http
  initialDelaySeconds: 30
  periodSeconds: 20
  failureThreshold: 6
{{- with .c.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: [ALL]
{{- end -}}

{{/* A Service in front of one monitoring component: (dict "root" $ "name" "prometheus" "c" .Values.monitoring.prometheus). */}}
{{- define "openim.monitoringService" -}}
{{- $labels := dict "root" .root "component" .name }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "openim.fullname" . | quote }}
  namespace: {{ .root.Release.Namespace | quote }}
  labels:
    {{- include "openim.labels" $labels | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "openim.selectorLabels" $labels | nindent 4 }}
  ports:
    - name: http
      port: {{ int .c.port }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{/* A Secret volume with the given keys as files named after the variables: (dict "root" $ "files" {VARIABLE: secretId}). */}}
{{- define "openim.secretFilesVolume" -}}
- name: secrets
  secret:
    secretName: {{ include "openim.secretName" .root }}
    defaultMode: 288  # 0440: the pod's fsGroup reads them
    items:
      {{- range $variable, $id := .files }}
      - key: {{ $id | quote }}
        path: {{ $variable | quote }}
      {{- end }}
{{- end -}}

{{/*
NetworkPolicy of a monitoring component (with networkPolicy.enabled): its port from the given
components of this release, or (Grafana, "clients" true) from networkPolicy.clientFrom (empty:
anyone). Operators reach the other UIs with `kubectl port-forward`.
(dict "root" $ "name" "alertmanager" "from" (list "prometheus"))
*/}}
{{- define "openim.monitoringNetworkPolicy" -}}
{{- if .root.Values.networkPolicy.enabled }}
{{- $labels := dict "root" .root "component" .name }}
{{- $instance := dict "key" "app.kubernetes.io/instance" "operator" "In" "values" (list .root.Release.Name) }}
{{- $port := list (dict "port" "http" "protocol" "TCP") }}
{{- $rule := dict "from" (list (dict "podSelector" (dict "matchExpressions" (list $instance (dict "key" "app.kubernetes.io/component" "operator" "In" "values" .from))))) "ports" $port }}
{{- if .clients }}
{{- $clientFrom := .root.Values.networkPolicy.clientFrom }}
{{- $rule = ternary (dict "ports" $port) (dict "from" $clientFrom "ports" $port) (empty $clientFrom) }}
{{- end }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "openim.fullname" . | quote }}
  namespace: {{ .root.Release.Namespace | quote }}
  labels:
    {{- include "openim.labels" $labels | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "openim.selectorLabels" $labels | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    {{- toYaml (list $rule) | nindent 4 }}
{{- end }}
{{- end -}}
