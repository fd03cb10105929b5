#!/bin/sh
# Lets the sandbox run a Native AOT operator (hack/publish-aot.sh) instead of `dotnet QuayIntegration.Operator.dll`:
# the sandbox starts the operator with $DOTNET_HOST_PATH when set, passing the dll path first, which this drops.
#   hack/publish-aot.sh /tmp/aot-out
#   dotnet build -c Release tests/QuayIntegration.Sandbox
#   AOT_OPERATOR=/tmp/aot-out/QuayIntegration.Operator DOTNET_HOST_PATH=$PWD/hack/aot-sandbox-host.sh \
#     dotnet tests/QuayIntegration.Sandbox/bin/Release/net10.0/QuayIntegration.Sandbox.dll
# (run the sandbox's dll directly: `dotnet run` sets DOTNET_HOST_PATH itself.)
shift
exec "${AOT_OPERATOR:?set AOT_OPERATOR to the AOT operator binary}" "$@"
