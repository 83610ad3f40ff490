# The eddy server image: `podman build -t eddy .` or `docker build -t eddy .` compiles eddy and
# packages it on an empty base with the shared libraries it loads and a CA bundle: no shell, no
# package manager, nothing to patch but eddy, glibc and the certificates.
#
# `--target prebuilt` packages an eddy already built for glibc on Linux instead, and never
# pulls the Rust image. Its context holds the tree the build stage makes in /image: image/root/
# with the binary at usr/local/bin/eddy, each library ldd lists for it at the library's own
# path, etc/passwd, etc/group and (for HTTPS clients) etc/ssl/certs/ca-certificates.crt; and an
# empty image/data/.

ARG RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p eddy
# ldd lists the dynamic loader too; cp -L stores each library as a file where the loader looks
# for it, whatever chain of symlinks led there. The CA bundle lets triggers and `eddy streams`
# trust public HTTPS endpoints.
RUN mkdir -p /image/root/usr/local/bin /image/root/etc /image/data \
 && cp target/release/eddy /image/root/usr/local/bin/eddy \
 && ldd target/release/eddy | grep -o '/[^ ]*' | xargs -I '{}' cp --parents -L '{}' /image/root/ \
 && cp --parents -L /etc/ssl/certs/ca-certificates.crt /image/root/ \
 && echo 'eddy:x:65532:65532:eddy:/data:/sbin/nologin' > /image/root/etc/passwd \
 && echo 'eddy:x:65532:' > /image/root/etc/group

# All of the image but its files, shared by the two ways of filling it.
FROM scratch AS runtime
USER 65532:65532
VOLUME /data
# Inside its own network namespace the server must listen beyond loopback to be reachable
# through a published port; eddy warns at start-up that it answers anyone who reaches it.
ENV EDDY_DATA_DIR=/data EDDY_LISTEN=0.0.0.0:8000
EXPOSE 8000
# Podman keeps a HEALTHCHECK only in the docker image format (`podman build --format docker`);
# its default, OCI, drops it with a warning.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/eddy", "health"]
ENTRYPOINT ["/usr/local/bin/eddy"]
CMD ["serve"]

# The data directory is the user's because a fresh named volume starts as a copy of it, owner
# included; COPY would make it root's.
FROM runtime AS prebuilt
COPY image/root/ /
COPY --chown=65532:65532 image/data /data

FROM runtime
COPY --from=build /image/root/ /
COPY --from=build --chown=65532:65532 /image/data /data
