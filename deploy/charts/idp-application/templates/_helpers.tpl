{{/* The platform's labels on every object: the monitoring stack filters on them. */}}
{{- define "idp-application.labels" -}}
{{ include "idp-application.selectorLabels" . }}
app.kubernetes.io/part-of: {{ .Values.system | quote }}
app.kubernetes.io/version: {{ include "idp-application.labelValue" .Values.image.tag | quote }}
app.kubernetes.io/managed-by: idp
idp/owner: {{ .Values.owner | quote }}
idp/environment: {{ .Values.environment | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- range $key, $value := omit .Values.labels "app.kubernetes.io/name" "app.kubernetes.io/instance" "app.kubernetes.io/part-of" "app.kubernetes.io/version" "app.kubernetes.io/managed-by" "idp/owner" "idp/environment" "helm.sh/chart" }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end }}

{{- define "idp-application.selectorLabels" -}}
app.kubernetes.io/name: {{ .Values.application | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/* A label value: at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends. */}}
{{- define "idp-application.labelValue" -}}
{{- regexReplaceAll "[^A-Za-z0-9._-]" . "_" | trunc 63 | trimAll "._-" -}}
{{- end }}

{{- define "idp-application.secretName" -}}
{{- printf "%s-secrets" .Values.application -}}
{{- end }}

{{- define "idp-application.container" -}}
- name: {{ .Values.application }}
  image: {{ printf "%s:%s" .Values.image.repository .Values.image.tag | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  {{- if eq .Values.type "service" }}
  ports:
    - name: http
      containerPort: {{ .Values.containerPort }}
      protocol: TCP
  {{- $defaults := dict "readiness" (dict "tcpSocket" (dict "port" "http") "periodSeconds" 10) "liveness" (dict "tcpSocket" (dict "port" "http") "initialDelaySeconds" 10 "periodSeconds" 20) }}
  {{- range $name := list "readiness" "liveness" "startup" }}
  {{- /* a probe set to null is gone from the values: none */}}
  {{- if hasKey $.Values.probes $name }}
  {{- with (get $.Values.probes $name) | default (get $defaults $name) }}
  {{ $name }}Probe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- end }}
  {{- end }}
  {{- end }}
  {{- with .Values.env }}
  env:
    {{- range $name, $value := . }}
    - name: {{ $name }}
      value: {{ $value | quote }}
    {{- end }}
  {{- end }}
  {{- if .Values.secrets }}
  envFrom:
    - secretRef:
        name: {{ include "idp-application.secretName" . }}
  {{- end }}
  resources:
    {{- toYaml .Values.resources | nindent 4 }}
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
{{- end }}

{{- define "idp-application.podSpec" -}}
serviceAccountName: {{ .Values.application }}
{{- if eq .Values.type "etl" }}
restartPolicy: {{ .Values.cronJob.restartPolicy }}
{{- end }}
containers:
  {{- include "idp-application.container" . | nindent 2 }}
{{- end }}

{{/* The restore of a PostgreSQL copy: the copy's database made anew on the target server (the
same server, another database: COPY_DATABASE), then the source dumped into it. */}}
{{- define "idp-application.restore.postgresql" -}}
set -eu
base="${TARGET_DATABASE_URL%%\?*}"
query="${TARGET_DATABASE_URL#"$base"}"
copy_url="${base%/*}/${COPY_DATABASE}${query}"
psql "$TARGET_DATABASE_URL" -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"${COPY_DATABASE}\"" -c "CREATE DATABASE \"${COPY_DATABASE}\""
pg_dump --format=custom --no-owner --no-acl "$SOURCE_DATABASE_URL" | pg_restore --no-owner --no-acl --exit-on-error --dbname="$copy_url"
{{- end }}

{{/* The restore of a MySQL copy: URLs mysql://user:password@host:port/database. */}}
{{- define "idp-application.restore.mysql" -}}
set -eu
parse() { url="${1#*://}"; creds="${url%%@*}"; rest="${url#*@}"; user="${creds%%:*}"; pass="${creds#*:}"; hostport="${rest%%/*}"; db="${rest#*/}"; db="${db%%\?*}"; host="${hostport%%:*}"; port="${hostport#*:}"; [ "$port" = "$hostport" ] && port=3306; }
parse "$SOURCE_DATABASE_URL"; s_user="$user"; s_pass="$pass"; s_host="$host"; s_port="$port"; s_db="$db"
parse "$TARGET_DATABASE_URL"
MYSQL_PWD="$pass" mysql -h "$host" -P "$port" -u "$user" -e "DROP DATABASE IF EXISTS \`${COPY_DATABASE}\`; CREATE DATABASE \`${COPY_DATABASE}\`"
MYSQL_PWD="$s_pass" mysqldump -h "$s_host" -P "$s_port" -u "$s_user" --single-transaction --routines --triggers "$s_db" | MYSQL_PWD="$pass" mysql -h "$host" -P "$port" -u "$user" "$COPY_DATABASE"
{{- end }}
