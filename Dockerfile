# raftsim in a container: a build stage with the Rust toolchain, then a
# small runtime image holding only the binary and the bundled scenarios.
#
#   docker build -t raftsim .
#   docker run --rm raftsim run scenarios/isolate-rejoin.json
#   docker run --rm -v "$PWD/out:/raftsim/out" raftsim run isolate-rejoin --out out/rejoin
#
# docs/CLUSTERS.md runs sweeps with it on Kubernetes.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin raftsim \
    && strip target/release/raftsim

FROM debian:bookworm-slim
COPY --from=build /src/target/release/raftsim /usr/local/bin/raftsim
COPY scenarios /raftsim/scenarios
WORKDIR /raftsim
ENTRYPOINT ["raftsim"]
CMD ["--help"]
