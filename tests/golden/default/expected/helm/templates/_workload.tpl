{{/*
One OpenIM binary: a Deployment and (when it listens) a Service.
Call with (dict "root" $ "key" "openimApi"); the key names the service's block in values.

Every replica reads the same config with index 0, so each listener has one port. The 3.8 line
reads its files only from the -c directory, where the files its command loads are mounted from
the product's ConfigMap (CONFIG_PATH is set too: the main line reads it in a pod). An image whose
entrypoint would not pass arguments on is started through its binary (command). The Service
carries the gRPC discovery name and lists the port named grpc first: that is the port OpenIM's
Kubernetes resolver dials.
*/}}
{{- define "openim.workload" -}}
{{- $root := .root -}}
{{- $key := .key -}}
{{- $svc := index $root.Values $key -}}
{{- if $svc.enabled -}}
{{- $labels := dict "root" $root "component" $svc.name -}}
{{- $configDir := required (printf "%s.configDir is required" $key) $svc.configDir -}}
{{- $kinds := list -}}
{{- range $kind := list "grpc" "http" "ws" "metrics" -}}
{{- if hasKey ($svc.ports | default dict) $kind -}}
{{- $kinds = append $kinds $kind -}}
{{- end -}}
{{- end -}}
{{- $skips := list -}}
{{- if $svc.secretEnv -}}
{{- $skips = append $skips "CKV_K8S_35=OpenIM takes credentials from its config files (ConfigMaps: never for secrets) or IMENV_/CHATENV_ variables, set from the Secret" -}}
{{- end -}}
{{- if $svc.serviceAccountToken -}}
{{- $skips = append $skips "CKV_K8S_38=OpenIM 3.8's Kubernetes discovery reads Endpoints with the pod's service-account token" -}}
{{- end -}}
{{- if not $kinds -}}
{{- $skips = append $skips (printf "CKV_K8S_8=%s listens on no port: nothing to probe; Kubernetes restarts it when it exits" $svc.name) -}}
{{- $skips = append $skips (printf "CKV_K8S_9=%s listens on no port: it takes no traffic, so it needs no readiness" $svc.name) -}}
{{- end }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "openim.fullname" (dict "root" $root "name" $svc.name) | quote }}
  namespace: {{ $root.Release.Namespace | quote }}
  labels:
    {{- include "openim.labels" $labels | nindent 4 }}
  {{- $where := printf "openim.yaml services.%s.resources or the chart's %s.resources" $svc.name $key }}
  {{- include "openim.checkovSkips" (dict "root" $root "skips" $skips "resources" $svc.resources "where" $where "images" (list $svc.image)) | nindent 2 }}
spec:
  {{- if not (dig "autoscaling" "enabled" false $svc) }}
  replicas: {{ int $svc.replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "openim.selectorLabels" $labels | nindent 6 }}
  template:
    metadata:
      {{- $checksums := dict "checksum/config" (include "openim.configData" (dict "root" $root "product" $svc.product) | sha256sum) }}
      {{- $_ := set $checksums "checksum/secret" (include "openim.secretChecksum" (dict "root" $root "env" (merge (dict) ($svc.secretEnv | default dict) ($svc.secretFiles | default dict)))) }}
      {{- include "openim.podMetadata" (dict "root" $root "own" $svc "component" $svc.name "annotations" $checksums) | nindent 6 }}
    spec:
      {{- $anti := include "openim.antiAffinity" (dict "root" $root "mode" $root.Values.antiAffinity.services "components" (list $svc.name)) }}
      {{- with include "openim.podPlacement" (dict "root" $root "own" $svc "component" $svc.name "pods" (include "openim.maxPods" $svc) "antiAffinity" $anti) | trim }}
      {{- . | nindent 6 }}
      {{- end }}
      serviceAccountName: {{ include "openim.serviceAccountName" $root }}
      # OpenIM takes a pod with a service-account token for a Kubernetes runtime: the server's discovery
      # reads Endpoints with it; chat cannot start that way and uses etcd.
      automountServiceAccountToken: {{ $svc.serviceAccountToken }}
      enableServiceLinks: false
      securityContext:
        {{- include "openim.securityContext" (dict "root" $root "layers" (list $root.Values.podSecurityContext $svc.podSecurityContext)) | nindent 8 }}
      containers:
        - name: {{ $svc.name | quote }}
          image: {{ include "openim.image" (dict "root" $root "image" $svc.image) | quote }}
          imagePullPolicy: {{ $root.Values.imagePullPolicy | quote }}
          {{- with $svc.command }}
          command:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          args: ["-i", "0", "-c", {{ $configDir | quote }}]
          env:
            - name: CONFIG_PATH
              value: {{ $configDir | quote }}
            {{- include "openim.secretEnv" (dict "root" $root "env" ($svc.secretEnv | default dict)) | trim | nindent 12 }}
          {{- if $kinds }}
          ports:
            {{- range $kind := $kinds }}
            - name: {{ $kind | quote }}
              containerPort: {{ int (index $svc.ports $kind) }}
              protocol: TCP
            {{- end }}
          {{- range $probe := list "startupProbe" "readinessProbe" "livenessProbe" }}
          {{ $probe }}:
            tcpSocket:
              port: {{ first $kinds }}
            {{- toYaml (index $svc $probe) | nindent 12 }}
          {{- end }}
          {{- end }}
          {{- with $svc.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- include "openim.securityContext" (dict "root" $root "layers" (list $root.Values.securityContext $svc.securityContext)) | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: {{ $configDir | quote }}
              readOnly: true
            - name: logs
              mountPath: {{ $svc.logDir | quote }}
            - name: tmp
              mountPath: /tmp
      volumes:
        # Only the files its command loads, and the credentials it reads as files (secretFiles)
        # beside them: upstream reads fcm.filePath relative to -c.
        - name: config
          projected:
            sources:
              - configMap:
                  name: {{ printf "%s-%s-config" $root.Release.Name $svc.product }}
                  items:
                    {{- range $file := $svc.files }}
                    - key: {{ $file | quote }}
                      path: {{ $file | quote }}
                    {{- end }}
              {{- with $svc.secretFiles }}
              - secret:
                  name: {{ include "openim.secretName" $root }}
                  items:
                    {{- range $path, $id := . }}
                    - key: {{ $id | quote }}
                      path: {{ $path | quote }}
                      mode: 288  # 0440: the pod's fsGroup reads it, nobody else
                    {{- end }}
              {{- end }}
        - name: logs
          emptyDir: {}
        - name: tmp
          emptyDir: {}
{{- if $kinds }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $svc.serviceName | quote }}
  namespace: {{ $root.Release.Namespace | quote }}
  labels:
    {{- include "openim.labels" $labels | nindent 4 }}
spec:
  type: {{ $svc.serviceType | default "ClusterIP" | quote }}
  selector:
    {{- include "openim.selectorLabels" $labels | nindent 4 }}
  ports:
    {{- range $kind := $kinds }}
    - name: {{ $kind | quote }}
      port: {{ int (index $svc.ports $kind) }}
      targetPort: {{ $kind | quote }}
      protocol: TCP
      {{- if eq $kind "grpc" }}
      appProtocol: grpc
      {{- end }}
    {{- end }}
{{- end }}
{{- end }}
{{- end -}}
