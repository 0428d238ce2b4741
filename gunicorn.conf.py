# Read by gunicorn from its working directory (the repository root for the Procfile, /app in
# the container): command-line options in the Procfile and the Dockerfile come on top of it.
# The logger takes the tokens of e-mailed links out of access-log lines: see ngo/access_log.py.
logger_class = "ngo.access_log.RedactingLogger"
