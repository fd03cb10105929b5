# syntax=docker/dockerfile:1
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 -t quay.io/quay-integration/operator:<version> .
# The build stage runs on the builder's own platform (BUILDPLATFORM) and compiles the operator ahead of time (Native
# AOT) into one native executable for the image's platform (TARGETARCH, set by BuildKit): the SDK's -aot image has
# the host's native toolchain, and hack/aot-toolchain.sh adds the target's cross linker and libraries when the two
# differ. The runtime stage is pulled for the target platform.
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0-noble-aot AS build
ARG TARGETARCH
WORKDIR /src
COPY hack/aot-toolchain.sh hack/
RUN bash hack/aot-toolchain.sh "$TARGETARCH" && rm -rf /var/lib/apt/lists/*
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/QuayIntegration.Operator/QuayIntegration.Operator.csproj src/QuayIntegration.Operator/
COPY src/QuayIntegration.Runtime/QuayIntegration.Runtime.csproj src/QuayIntegration.Runtime/
RUN dotnet restore src/QuayIntegration.Operator/QuayIntegration.Operator.csproj
COPY .config/dotnet-tools.json .config/
RUN dotnet tool restore
COPY src/ src/
COPY deploy/base/kustomization.yaml deploy/base/
COPY hack/publish.sh hack/sbom.sh hack/
RUN bash hack/publish.sh /app "$TARGETARCH" && bash hack/sbom.sh /app

# Runtime stage: chiseled runtime-deps (the C runtime, OpenSSL and CA certificates; no shell, no package manager, no .NET
# runtime: the executable carries its own), non-root by default.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
WORKDIR /app
# The SBOM of what is in /app travels with it: /app/_manifest/spdx_2.2/manifest.spdx.json.
COPY --from=build /app ./
USER 1654:1654
ENV ASPNETCORE_URLS=""
# 8443: admission webhook (HTTPS). 8444: /metrics over HTTPS (--metrics-secure). 8080: /healthz, /readyz (and
# /metrics when not secure).
EXPOSE 8443 8444 8080
ENTRYPOINT ["/app/QuayIntegration.Operator"]
