{{/*
What every pod of the chart takes from the global values and from its own block (an OpenIM
service's or a bundled component's): image registry, pull secrets, placement, pod metadata and
security context. Each helper says how the two combine; values.yaml says it to the operator.
*/}}

{{/*
An image reference under global.imageRegistry: a first path component that names a registry
(it has a '.' or ':', or is localhost, as Docker reads a reference) is replaced, otherwise the
registry is put in front. (dict "root" $ "image" "mongo:7.0")
*/}}
{{- define "openim.image" -}}
{{- $registry := trimSuffix "/" (dig "imageRegistry" "" .root.Values.global) -}}
{{- if not $registry -}}
{{- .image -}}
{{- else -}}
{{- $parts := splitn "/" 2 .image -}}
{{- $first := $parts._0 -}}
{{- if and $parts._1 (or (contains "." $first) (contains ":" $first) (eq $first "localhost")) -}}
{{- printf "%s/%s" $registry $parts._1 -}}
{{- else -}}
{{- printf "%s/%s" $registry .image -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "true" when runAsUser, runAsGroup and fsGroup are left to OpenShift's SCC (global.compatibility.openshift). */}}
{{- define "openim.openshift" -}}
{{- $mode := dig "compatibility" "openshift" "adaptSecurityContext" "auto" .Values.global -}}
{{- if or (eq $mode "force") (and (eq $mode "auto") (.Capabilities.APIVersions.Has "security.openshift.io/v1")) -}}
true
{{- end -}}
{{- end -}}

{{/*
A securityContext: the defaults, then each layer over them key by key (a key set to null is
left out), then the ids OpenShift assigns removed when adapting. As YAML.
(dict "root" $ "defaults" {...} "layers" (list $.Values.podSecurityContext $svc.podSecurityContext))
*/}}
{{- define "openim.securityContext" -}}
{{- $out := deepCopy (.defaults | default dict) -}}
{{- range $layer := .layers -}}
{{- range $key, $value := ($layer | default dict) -}}
{{- if kindIs "invalid" $value -}}
{{- $_ := unset $out $key -}}
{{- else -}}
{{- $_ := set $out $key $value -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if include "openim.openshift" .root -}}
{{- range $key := list "runAsUser" "runAsGroup" "fsGroup" -}}
{{- $_ := unset $out $key -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
Pod template metadata: the chart's labels, then podLabels (own over global; the schema refuses
the chart's own names); the chart's annotations, then podAnnotations (own over global).
(dict "root" $ "own" <block> "component" "openim-api" "annotations" {...}) -- under spec.template.
*/}}
{{- define "openim.podMetadata" -}}
{{- $values := .root.Values -}}
{{- $labels := include "openim.labels" (dict "root" .root "component" .component) | fromYaml -}}
{{- $labels = merge $labels (.own.podLabels | default dict) ($values.podLabels | default dict) -}}
{{- $annotations := merge (deepCopy (.annotations | default dict)) (.own.podAnnotations | default dict) ($values.podAnnotations | default dict) -}}
labels:
  {{- toYaml $labels | nindent 2 }}
{{- with $annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Placement of a pod, under spec.template.spec: pull secrets (global and own, together),
priorityClassName (own, else global), nodeSelector (own keys over global), tolerations (global
then own), affinity (own, else global, else the generated anti-affinity), and, for a component
that runs more than one pod, topologySpreadConstraints (own when not empty, else global; an
entry without labelSelector selects the component's own pods).
(dict "root" $ "own" <block> "component" "openim-api" "pods" 2 "antiAffinity" "<YAML>")
*/}}
{{- define "openim.podPlacement" -}}
{{- $values := .root.Values -}}
{{- $own := .own -}}
{{- $secrets := list -}}
{{- range $secret := concat (dig "imagePullSecrets" list $values.global) ($own.imagePullSecrets | default list) -}}
{{- if kindIs "string" $secret -}}
{{- $secrets = append $secrets (dict "name" $secret) -}}
{{- else -}}
{{- $secrets = append $secrets (dict "name" $secret.name) -}}
{{- end -}}
{{- end -}}
{{- with $secrets | uniq }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $own.priorityClassName | default $values.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with merge (deepCopy ($own.nodeSelector | default dict)) ($values.nodeSelector | default dict) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with concat ($values.tolerations | default list) ($own.tolerations | default list) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $own.affinity | default $values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- else }}
{{- with .antiAffinity }}
affinity:
  {{- . | nindent 2 }}
{{- end }}
{{- end }}
{{- if gt (int .pods) 1 }}
{{- $selector := include "openim.selectorLabels" (dict "root" .root "component" .component) | fromYaml -}}
{{- $constraints := list -}}
{{- range $constraint := $own.topologySpreadConstraints | default $values.topologySpreadConstraints | default list -}}
{{- $constraint = deepCopy $constraint -}}
{{- if not (hasKey $constraint "labelSelector") -}}
{{- $_ := set $constraint "labelSelector" (dict "matchLabels" $selector) -}}
{{- end -}}
{{- $constraints = append $constraints $constraint -}}
{{- end -}}
{{- with $constraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Pods an OpenIM service runs at most: autoscaling.maxReplicas when its autoscaler is on, else replicas. */}}
{{- define "openim.maxPods" -}}
{{- if dig "autoscaling" "enabled" false . -}}
{{- int .autoscaling.maxReplicas -}}
{{- else -}}
{{- int .replicas -}}
{{- end -}}
{{- end -}}

{{/* Pods an OpenIM service runs at least: autoscaling.minReplicas when its autoscaler is on, else replicas. */}}
{{- define "openim.minPods" -}}
{{- if dig "autoscaling" "enabled" false . -}}
{{- int .autoscaling.minReplicas -}}
{{- else -}}
{{- int .replicas -}}
{{- end -}}
{{- end -}}

{{/*
Checkov's CPU and memory request and limit checks (CKV_K8S_10 to 13), waived one by one where
the operator has not sized the workload: the chart invents no sizes. As a JSON list of
"CKV_ID=why". (dict "resources" .resources "where" "openim.yaml services.openim-api.resources or openimApi.resources")
*/}}
{{- define "openim.resourceSkips" -}}
{{- $skips := list -}}
{{- $checks := list (list "CKV_K8S_10" "requests" "cpu" "CPU request") (list "CKV_K8S_11" "limits" "cpu" "CPU limit") (list "CKV_K8S_12" "requests" "memory" "memory request") (list "CKV_K8S_13" "limits" "memory" "memory limit") -}}
{{- range $check := $checks -}}
{{- if not (dig (index $check 1) (index $check 2) "" ($.resources | default dict)) -}}
{{- $skips = append $skips (printf "%s=no %s set: sizing is the operator's, from measurements (set it in %s)" (index $check 0) (index $check 3) $.where) -}}
{{- end -}}
{{- end -}}
{{- toJson $skips -}}
{{- end -}}
