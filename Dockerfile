# ivig-cds: small image, non-root, gunicorn (started by `ivig-cds serve`), health check on /healthz.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY cds_hooks ./cds_hooks
COPY service ./service
# The versions CI tested (constraints.txt), so the image runs what was tested.
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt '.[postgres]'

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 IVIG_CDS_SERVICE_DATA_DIR=/var/lib/ivig-cds
RUN useradd --system --uid 10001 --home-dir /var/lib/ivig-cds --create-home ivig
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels 'ivig-cds[postgres]' && rm -rf /wheels
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"
ENTRYPOINT ["ivig-cds"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--workers", "2"]
