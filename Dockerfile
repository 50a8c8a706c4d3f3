# recoup's container image: a static binary on a distroless base, run as a non-root user, the
# SQLite database on a volume. The build steps live in scripts/build-static, which CI runs too
# (.ci/run), so they are checked where docker is not available. See docs/deploy.md.
#
#   docker build -t recoup .
#   docker run -d -p 8080:8080 -v recoup-data:/var/lib/recoup \
#     -e STRIPE_SECRET_KEY -e STRIPE_WEBHOOK_SECRET recoup

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG SOURCE_DATE_EPOCH
RUN scripts/build-static /out/recoup \
 && mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/recoup /usr/local/bin/recoup
COPY --from=build --chown=65532:65532 /out/data /var/lib/recoup
USER 65532:65532
WORKDIR /var/lib/recoup
# The SQLite file and its -wal/-shm companions: keep them on a volume, back up with
# `recoup backup --out FILE` (docs/deploy.md).
VOLUME ["/var/lib/recoup"]
ENV DATABASE_URL=/var/lib/recoup/recoup.db \
    RECOUP_LISTEN=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/recoup", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/recoup"]
CMD ["serve"]
