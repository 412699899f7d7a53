{{- define "idp-catalog.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "idp-catalog.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "idp-catalog.selectorLabels" -}}
app.kubernetes.io/name: {{ include "idp-catalog.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "idp-catalog.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "idp-catalog.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The service's shutdown grace (config.shutdown.graceSeconds, 20 by default), in whole seconds. */}}
{{- define "idp-catalog.graceSeconds" -}}
{{- $shutdown := .Values.config.shutdown | default dict }}
{{- if hasKey $shutdown "graceSeconds" }}{{ ceil $shutdown.graceSeconds }}{{ else }}20{{ end }}
{{- end }}

{{/* The pod template: the same for the Deployment and the StatefulSet. */}}
{{- define "idp-catalog.podTemplate" -}}
metadata:
  labels:
    {{- include "idp-catalog.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # A new configuration rolls the pods.
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    fsGroup: 10001
    seccompProfile:
      type: RuntimeDefault
  # The service's own grace for requests in flight, and time for it to stop its git processes.
  terminationGracePeriodSeconds: {{ add (include "idp-catalog.graceSeconds" . | int) 10 }}
  containers:
    - name: catalog-service
      image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: [catalog-service, serve, --host, 0.0.0.0, --port, "8080"]
      ports:
        - name: http
          containerPort: 8080
          protocol: TCP
      env:
        - name: CATALOG_CONFIG
          value: /etc/catalog-service/config.yaml
        # The image sets json; config.logging.format, when given, is what the pods use.
        - name: CATALOG_LOGGING__FORMAT
          value: {{ (.Values.config.logging | default dict).format | default "json" | quote }}
      {{- with .Values.existingSecret }}
      envFrom:
        - secretRef:
            name: {{ . }}
      {{- end }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        periodSeconds: 5
        timeoutSeconds: 3
        failureThreshold: 3
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        initialDelaySeconds: 10
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 6
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        privileged: false
        capabilities:
          drop: [ALL]
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: config
          mountPath: /etc/catalog-service
          readOnly: true
        - name: state
          mountPath: /var/lib/catalog-service
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: config
      configMap:
        name: {{ include "idp-catalog.fullname" . }}
    {{- if not .Values.persistence.enabled }}
    - name: state
      emptyDir: {}
    {{- end }}
    - name: tmp
      emptyDir: {}
  affinity:
    {{- if .Values.affinity }}
    {{- toYaml .Values.affinity | nindent 4 }}
    {{- else }}
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:
                {{- include "idp-catalog.selectorLabels" . | nindent 16 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* Values that would leak a secret into the ConfigMap or make pods that cannot run: refused,
naming the key and what to do (a schema cannot say why). */}}
{{- define "idp-catalog.checkValues" -}}
{{- $config := .Values.config }}
{{- $secrets := dict "github" (list "token" "webhookSecret") "auth" (list "tokens" "trustedTokens" "ciTokens") "backstage" (list "token") "argocd" (list "token") }}
{{- range $section, $keys := $secrets }}
{{- $values := get $config $section | default dict }}
{{- range $keys }}
{{- if hasKey $values . }}
{{- fail (printf "config.%s.%s is a secret, and config becomes a ConfigMap: put it in existingSecret as CATALOG_%s__%s" $section . (upper $section) (upper .)) }}
{{- end }}
{{- end }}
{{- end }}
{{- if hasKey ((get $config "github" | default dict).app | default dict) "privateKey" }}
{{- fail "config.github.app.privateKey is a secret, and config becomes a ConfigMap: put it in existingSecret as CATALOG_GITHUB__APP__PRIVATEKEY" }}
{{- end }}
{{- $database := get $config "database" | default dict }}
{{- if regexMatch "://[^/@]*:[^/@]*@" (toString ($database.url | default "")) }}
{{- fail "config.database.url holds a password, and config becomes a ConfigMap: put the URL in existingSecret as CATALOG_DATABASE__URL" }}
{{- end }}
{{- if regexMatch "^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*@" (toString $config.source.url) }}
{{- fail "config.source.url holds credentials, and config becomes a ConfigMap: give the URL without them and the token in existingSecret as CATALOG_GITHUB__TOKEN" }}
{{- end }}
{{- $cacheDir := toString ($config.source.cacheDir | default "/var/lib/catalog-service") }}
{{- if not (or (hasPrefix "/var/lib/catalog-service/" (printf "%s/" $cacheDir)) (hasPrefix "/tmp/" (printf "%s/" $cacheDir))) }}
{{- fail (printf "config.source.cacheDir %s is outside the pod's writable folders (the root file system is read-only): use a folder under /var/lib/catalog-service" $cacheDir) }}
{{- end }}
{{- range $key, $_ := include "idp-catalog.selectorLabels" . | fromYaml }}
{{- if hasKey ($.Values.podLabels | default dict) $key }}
{{- fail (printf "podLabels.%s is a label the chart selects its pods by: remove it from podLabels" $key) }}
{{- end }}
{{- end }}
{{- end }}
