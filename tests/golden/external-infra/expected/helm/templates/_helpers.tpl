{{/*
Shared named templates of the OpenIM chart. Shipped as-is by openim-gen (not Jinja).
*/}}

{{- define "openim.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that never change for a component: the selector. Call with (dict "root" $ "component" "openim-api"). */}}
{{- define "openim.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name | quote }}
app.kubernetes.io/instance: {{ .root.Release.Name | quote }}
app.kubernetes.io/component: {{ .component | quote }}
{{- end -}}

{{/* Labels of every object: the selector's, and what never selects (the version changes on upgrade). */}}
{{- define "openim.labels" -}}
{{ include "openim.selectorLabels" . }}
{{- with .root.Chart.AppVersion }}
app.kubernetes.io/version: {{ . | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
{{- end }}
app.kubernetes.io/part-of: openim
app.kubernetes.io/managed-by: {{ .root.Release.Service | quote }}
helm.sh/chart: {{ include "openim.chart" .root }}
{{- end -}}

{{/*
An object's name: the release's name, then the component's (dict "root" $ "name" "openim-api"). The
values' Service names are made the same way by openim-gen (the config files dial them), and the
chart refuses another release name, so both agree; openim-gen keeps the sum within 63 characters.
*/}}
{{- define "openim.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
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

{{/* Secret ids the enabled services, bundled infrastructure and monitoring read, sorted and unique, as JSON. */}}
{{- define "openim.secretIds" -}}
{{- $ids := list -}}
{{- range $key := include "openim.serviceKeys" . | fromJsonArray -}}
{{- $ids = concat $ids (values ((index $.Values $key).secretEnv | default dict)) -}}
{{- $ids = concat $ids (values ((index $.Values $key).secretFiles | default dict)) -}}
{{- end -}}
{{- range $name, $infra := .Values.infra -}}
{{- if $infra.enabled -}}
{{- $ids = concat $ids (values ($infra.secretEnv | default dict)) -}}
{{- end -}}
{{- end -}}
{{- with .Values.monitoring -}}
{{- if .enabled -}}
{{- $ids = concat $ids (values (.alertmanager.secretFiles | default dict)) (values (.grafana.secretFiles | default dict)) -}}
{{- end -}}
{{- end -}}
{{- toJson ($ids | uniq | sortAlpha) -}}
{{- end -}}

{{/* env entries reading credentials from the Secret: (dict "root" $ "env" {VARIABLE: secretId}). */}}
{{- define "openim.secretEnv" -}}
{{- range $variable, $id := .env }}
- name: {{ $variable | quote }}
  valueFrom:
    secretKeyRef:
      name: {{ include "openim.secretName" $.root }}
      key: {{ $id | quote }}
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
{{- /* MinIO behind the Ingress: the address clients sign for follows the Ingress host and path. */ -}}
{{- $ingress := $root.Values.ingress -}}
{{- if and (eq .product "server") $ingress.enabled $ingress.minio.enabled $root.Values.infra.minio.enabled (hasKey $docs "minio.yml") -}}
{{- $scheme := ternary "https" "http" (not (empty $ingress.tlsSecret)) -}}
{{- $_ := set (index $docs "minio.yml") "externalAddress" (printf "%s://%s%s" $scheme $ingress.host $ingress.minio.path) -}}
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
      storageClassName: {{ . | quote }}
      {{- end }}
      resources:
        requests:
          storage: {{ .persistence.size | quote }}
{{- end }}
{{- end -}}

{{/* Pod volumes of a bundled component: its existing claim, and /tmp when the root filesystem is read-only. (dict "infra" . "tmp" true) */}}
{{- define "openim.infraVolumes" -}}
{{- $volumes := list -}}
{{- with .infra.persistence.existingClaim -}}
{{- $volumes = append $volumes (dict "name" "data" "persistentVolumeClaim" (dict "claimName" .)) -}}
{{- end -}}
{{- if .tmp -}}
{{- $volumes = append $volumes (dict "name" "tmp" "emptyDir" (dict)) -}}
{{- end -}}
{{- if $volumes }}
volumes:
  {{- toYaml $volumes | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Hash of the credentials a pod reads, as a pod annotation: a changed value changes the pod
template, so the pods roll. (dict "root" $ "env" {VARIABLE: secretId}). With existingSecret the
values are not known here: the name is hashed, and a changed Secret needs a restart of its own.
*/}}
{{- define "openim.secretChecksum" -}}
{{- $secrets := .root.Values.secrets | default dict -}}
{{- $data := dict "secretName" (include "openim.secretName" .root) -}}
{{- range $variable, $id := .env -}}
{{- $_ := set $data $id (toString (index $secrets $id | default "")) -}}
{{- end -}}
{{- toJson $data | sha256sum -}}
{{- end -}}

{{/*
Pod anti-affinity on kubernetes.io/hostname against the pods of the given components of this
release: (dict "root" $ "mode" "preferred|required|none" "components" (list "mongodb" ...)).
*/}}
{{- define "openim.antiAffinity" -}}
{{- $selector := dict "matchExpressions" (list (dict "key" "app.kubernetes.io/instance" "operator" "In" "values" (list .root.Release.Name)) (dict "key" "app.kubernetes.io/component" "operator" "In" "values" .components)) -}}
{{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" $selector -}}
{{- if eq .mode "preferred" -}}
{{- toYaml (dict "podAntiAffinity" (dict "preferredDuringSchedulingIgnoredDuringExecution" (list (dict "weight" 100 "podAffinityTerm" $term)))) -}}
{{- else if eq .mode "required" -}}
{{- toYaml (dict "podAntiAffinity" (dict "requiredDuringSchedulingIgnoredDuringExecution" (list $term))) -}}
{{- end -}}
{{- end -}}

{{/* Components of the bundled infrastructure: the set infra pods keep apart from. */}}
{{- define "openim.infraComponents" -}}
{{- $names := list -}}
{{- range $name, $infra := .Values.infra -}}
{{- if $infra.enabled -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/*
The pod template metadata of a bundled component: labels, podLabels, podAnnotations and the
checksum of its credentials. (dict "root" $ "infra" . "component" "mongodb") -- under spec.template.
*/}}
{{- define "openim.infraPodMeta" -}}
{{- $checksum := include "openim.secretChecksum" (dict "root" .root "env" (.infra.secretEnv | default dict)) -}}
{{- include "openim.podMetadata" (dict "root" .root "own" .infra "component" .component "annotations" (dict "checksum/secret" $checksum)) -}}
{{- end -}}

{{/* Placement of a bundled component's pod (one pod; anti-affinity from the other components). (dict "root" $ "infra" . "component" "mongodb") */}}
{{- define "openim.infraPlacement" -}}
{{- $anti := include "openim.antiAffinity" (dict "root" .root "mode" .root.Values.antiAffinity.infra "components" (include "openim.infraComponents" .root | fromJsonArray)) -}}
{{- include "openim.podPlacement" (dict "root" .root "own" .infra "component" .component "pods" 1 "antiAffinity" $anti) -}}
{{- end -}}

{{/*
Checkov waivers, each with its reason, as `checkov.io/skipN` annotations on a workload (nothing
when there is none). (dict "root" $ "skips" (list "CKV_ID=why" ...) "infra" true|false
"resources" {...} "where" "where to size it") -- rendered under metadata; "infra": a bundled
component, which runs as its image's own user; "where": the requests and limits its resources
leave unset are waived (openim.resourceSkips); "annotations": other annotations of the object, written first.
*/}}
{{- define "openim.checkovSkips" -}}
{{- $skips := .skips | default list -}}
{{- if .where -}}
{{- $skips = concat $skips (include "openim.resourceSkips" . | fromJsonArray) -}}
{{- end -}}
{{- if ne .root.Values.imagePullPolicy "Always" -}}
{{- $skips = prepend $skips (printf "CKV_K8S_15=imagePullPolicy is %s (values.imagePullPolicy): air-gapped sites load the images from an openim-gen bundle" .root.Values.imagePullPolicy) -}}
{{- end -}}
{{- if .infra -}}
{{- $skips = append $skips "CKV_K8S_40=runs as the image's own user, what its entrypoint and data directories expect (catalog/line.yaml contracts)" -}}
{{- end -}}
{{- if and .infra .secretEnv -}}
{{- $skips = append $skips "CKV_K8S_35=the image's documented start-up reads its credentials from environment variables (its _FILE variants are not used yet); they come from the Secret through secretKeyRef, never from the manifest" -}}
{{- end -}}
{{- $tags := list -}}
{{- range $image := .images | default list -}}
{{- if not (contains "@sha256:" $image) -}}
{{- $tags = append $tags (include "openim.image" (dict "root" $.root "image" $image)) -}}
{{- end -}}
{{- end -}}
{{- if $tags -}}
{{- $skips = append $skips (printf "CKV_K8S_43=pinned by tag (%s): openim.yaml names tags; openim-gen bundle --images-lock pins digests (name@sha256:...)" (join ", " $tags)) -}}
{{- end -}}
{{- if or $skips .annotations }}
annotations:
  {{- range $key, $value := .annotations | default dict }}
  {{ $key }}: {{ $value | quote }}
  {{- end }}
  {{- range $i, $skip := $skips }}
  checkov.io/skip{{ add1 $i }}: {{ $skip | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Hosts the ingress serves, as JSON: ingress.host, and ingress.adminHost when the admin front is enabled. */}}
{{- define "openim.ingressHosts" -}}
{{- $hosts := list .Values.ingress.host -}}
{{- if dig "admin" "enabled" false .Values.fronts -}}
{{- $hosts = append $hosts (required "ingress.adminHost is required with fronts.admin (the admin front is served at the root of a host of its own)" .Values.ingress.adminHost) -}}
{{- end -}}
{{- toJson $hosts -}}
{{- end -}}

{{/*
One Ingress (nginx or traefik): (dict "root" $ "name" "..." "annotations" {} "nginx" true|false "tls" [...]
"rules" (list (dict "host" "h" "paths" (list (dict "path" "/api" "service" "openim-api" "port" "http" ["pathType" "Prefix"]))))).
Paths without a pathType are the controller's: nginx regex (ImplementationSpecific), traefik Prefix.
*/}}
{{- define "openim.ingress" -}}
{{- $root := .root }}
{{- $rules := list }}
{{- range $rule := .rules }}
{{- $paths := list }}
{{- range $rule.paths }}
{{- $paths = append $paths (dict "path" .path "pathType" (.pathType | default (ternary "ImplementationSpecific" "Prefix" $.nginx)) "backend" (dict "service" (dict "name" .service "port" (dict "name" .port)))) }}
{{- end }}
{{- if $paths }}
{{- $rules = append $rules (dict "host" $rule.host "http" (dict "paths" $paths)) }}
{{- end }}
{{- end }}
{{- if $rules }}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .name | trunc 63 | trimSuffix "-" | quote }}
  namespace: {{ $root.Release.Namespace | quote }}
  labels:
    {{- include "openim.labels" (dict "root" $root "component" "ingress") | nindent 4 }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $root.Values.ingress.className }}
  ingressClassName: {{ . | quote }}
  {{- end }}
  {{- with .tls }}
  tls:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  rules:
    {{- toYaml $rules | nindent 4 }}
{{- end }}
{{- end -}}
