{{/* Names: at most 63 characters, as Kubernetes labels and DNS names want. */}}
{{- define "rapport.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "rapport.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "rapport.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of one component (serve, relay, migrations, a CronJob's name). Call
     with (dict "root" $ "component" "serve"). */}}
{{- define "rapport.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rapport.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The standard labels; with a component when one is given. */}}
{{- define "rapport.labels" -}}
helm.sh/chart: {{ include "rapport.chart" .root }}
app.kubernetes.io/name: {{ include "rapport.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
app.kubernetes.io/version: {{ .root.Values.image.tag | default .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: rapport
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{- define "rapport.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "rapport.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "rapport.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The Secret every Rapport container reads its secret settings from. */}}
{{- define "rapport.secretName" -}}
{{- .Values.existingSecret | default (include "rapport.fullname" .) -}}
{{- end -}}

{{/* The chart's Secret entries: secretEnv without its empty values. */}}
{{- define "rapport.secretData" -}}
{{- range $key, $value := .Values.secretEnv }}
{{- if $value }}
{{ $key }}: {{ $value | toString | b64enc | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The ConfigMap's entries: the settings, each a string. */}}
{{- define "rapport.configData" -}}
{{- range $key, $value := .Values.config }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Restarts the pods when the settings change: a hash of what they read. */}}
{{- define "rapport.checksums" -}}
checksum/config: {{ include "rapport.configData" . | sha256sum }}
{{- if not .Values.existingSecret }}
checksum/secret: {{ include "rapport.secretData" . | sha256sum }}
{{- end }}
{{- end -}}

{{/* The environment of every Rapport container, after envFrom. */}}
{{- define "rapport.env" -}}
- name: RAPPORT_HOST
  value: "0.0.0.0"
- name: RAPPORT_PORT
  value: {{ .Values.containerPort | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "rapport.envFrom" -}}
- configMapRef:
    name: {{ include "rapport.fullname" . }}
- secretRef:
    name: {{ include "rapport.secretName" . }}
{{- end -}}

{{/* What every Rapport pod has (besides its account): the confinement, the /tmp volume. */}}
{{- define "rapport.podCommon" -}}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{- define "rapport.containerCommon" -}}
image: {{ include "rapport.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end -}}
