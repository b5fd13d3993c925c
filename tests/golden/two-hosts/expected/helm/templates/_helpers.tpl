{{/*
Shared named templates of the OpenIM chart. Shipped as-is by openim-gen (not Jinja).
*/}}

{{- define "openim.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that never change for a component: the selector. Call with (dict "root" $ "component" "openim-api"). */}}
{{- define "openim.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "openim.labels" -}}
{{ include "openim.selectorLabels" . }}
app.kubernetes.io/part-of: openim
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "openim.chart" .root }}
{{- end -}}

{{- define "openim.serviceAccountName" -}}
{{- printf "%s-openim" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "openim.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-credentials" .Release.Name) -}}
{{- end -}}

{{/* Keys of the enabled OpenIM services in .Values (each a map with a configFile), sorted, as JSON. */}}
{{- define "openim.serviceKeys" -}}
{{- $keys := list -}}
{{- range $key, $svc := .Values -}}
{{- if and (kindIs "map" $svc) (hasKey $svc "configFile") $svc.enabled -}}
{{- $keys = append $keys $key -}}
{{- end -}}
{{- end -}}
{{- toJson $keys -}}
{{- end -}}

{{/* Secret ids the enabled services and bundled infrastructure read, sorted and unique, as JSON. */}}
{{- define "openim.secretIds" -}}
{{- $ids := list -}}
{{- range $key := include "openim.serviceKeys" . | fromJsonArray -}}
{{- $ids = concat $ids (values ((index $.Values $key).secretEnv | default dict)) -}}
{{- end -}}
{{- range $name, $infra := .Values.infra -}}
{{- if $infra.enabled -}}
{{- $ids = concat $ids (values ($infra.secretEnv | default dict)) -}}
{{- end -}}
{{- end -}}
{{- toJson ($ids | uniq | sortAlpha) -}}
{{- end -}}

{{/* env entries reading credentials from the Secret: (dict "root" $ "env" {VARIABLE: secretId}). */}}
{{- define "openim.secretEnv" -}}
{{- range $variable, $id := .env }}
- name: {{ $variable }}
  valueFrom:
    secretKeyRef:
      name: {{ include "openim.secretName" $.root }}
      key: {{ $id }}
{{- end }}
{{- end -}}

{{/*
One product's config files as ConfigMap data: .Values.config.<product>, with each enabled
service's port lists (configPorts, e.g. grpc: rpc.ports) set from its ports, so a changed port
reaches the config, the containerPort and the Service together, and discovery.yml's
kubernetes.namespace (where present) set to the release namespace. (dict "root" $ "product" "server")
*/}}
{{- define "openim.configData" -}}
{{- $root := .root -}}
{{- $docs := deepCopy (index $root.Values.config .product) -}}
{{- range $key := include "openim.serviceKeys" $root | fromJsonArray -}}
{{- $svc := index $root.Values $key -}}
{{- if eq $svc.product $.product -}}
{{- if not (hasKey $docs $svc.configFile) -}}
{{- fail (printf "%s.configFile: config.%s has no file %s" $key $.product $svc.configFile) -}}
{{- end -}}
{{- range $kind, $dotted := $svc.configPorts -}}
{{- if not (hasKey $svc.ports $kind) -}}
{{- fail (printf "%s.ports.%s is required (configPorts names it)" $key $kind) -}}
{{- end -}}
{{- $node := index $docs $svc.configFile -}}
{{- $parts := splitList "." $dotted -}}
{{- range $part := initial $parts -}}
{{- $node = index $node $part -}}
{{- end -}}
{{- $_ := set $node (last $parts) (list (int (index $svc.ports $kind))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* Kubernetes discovery looks Services up in the namespace the release is installed in. */ -}}
{{- $discovery := get $docs "discovery.yml" | default dict -}}
{{- if kindIs "map" $discovery.kubernetes -}}
{{- $_ := set $discovery.kubernetes "namespace" $root.Release.Namespace -}}
{{- end -}}
{{- range $file := keys $docs | sortAlpha }}
{{ $file }}: |
  {{- toYaml (index $docs $file) | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* Persistent storage of a bundled component: (dict "persistence" .persistence "mountName" "data"). */}}
{{- define "openim.claimTemplates" -}}
{{- if not .persistence.existingClaim }}
volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes:
        {{- toYaml .persistence.accessModes | nindent 8 }}
      {{- with .persistence.storageClass }}
      storageClassName: {{ . }}
      {{- end }}
      resources:
        requests:
          storage: {{ .persistence.size }}
{{- end }}
{{- end -}}

{{- define "openim.claimVolume" -}}
{{- with .persistence.existingClaim }}
volumes:
  - name: data
    persistentVolumeClaim:
      claimName: {{ . }}
{{- end }}
{{- end -}}
