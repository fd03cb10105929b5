# syntax=docker/dockerfile:1
# Build stage: the SDK image restores and publishes with hack/publish.sh (the same script CI runs).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/QuayIntegration.Operator/QuayIntegration.Operator.csproj src/QuayIntegration.Operator/
COPY src/QuayIntegration.Runtime/QuayIntegration.Runtime.csproj src/QuayIntegration.Runtime/
RUN dotnet restore src/QuayIntegration.Operator/QuayIntegration.Operator.csproj
COPY src/ src/
COPY hack/publish.sh hack/
RUN bash hack/publish.sh /app

# Runtime stage: chiseled ASP.NET runtime (no shell, no package manager, no SDK), non-root by default.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /app ./
USER 1654:1654
ENV ASPNETCORE_URLS="" \
    DOTNET_gcServer=0
# 8443: admission webhook (HTTPS). 8080: /metrics, /healthz, /readyz.
EXPOSE 8443 8080
ENTRYPOINT ["dotnet", "QuayIntegration.Operator.dll"]
