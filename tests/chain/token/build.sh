#!/usr/bin/env bash
# Rebuilds TestUsdc.json and PlainUsdc.json (ABI + creation bytecode) from
# TestUsdc.sol (EIP-3009) and PlainUsdc.sol (a plain ERC-20) with the npm
# build of solc, offline once installed. The tests read only the JSON, so
# they need Anvil but never solc; run this after editing the contract and
# commit both files.
#
#   tests/chain/token/build.sh            # uses or installs solc in $KASSA_SOLC_DIR
#
# The npm prefix must not be a folder named "solc": npm then takes the folder
# for the package itself and installs nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
solc_dir="${KASSA_SOLC_DIR:-/tmp/kassa-solc}"
solc_version="${KASSA_SOLC_VERSION:-0.8.37}"
solcjs="$solc_dir/node_modules/.bin/solcjs"

if [ ! -x "$solcjs" ] || [ "$("$solcjs" --version | cut -d+ -f1)" != "$solc_version" ]; then
  mkdir -p "$solc_dir"
  npm install --silent --no-audit --no-fund --prefix "$solc_dir" "solc@$solc_version"
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
version="$("$solcjs" --version)"

for contract in TestUsdc PlainUsdc; do
  (cd "$here" && "$solcjs" --bin --abi --optimize --optimize-runs 200 -o "$out" "$contract.sol")
  # solcjs names its outputs after the source path and contract name.
  node -e '
const fs = require("fs");
const [name, abiPath, binPath, dest, version] = process.argv.slice(1);
const artifact = {
  contractName: name,
  compiler: "solcjs " + version + " --optimize --optimize-runs 200",
  abi: JSON.parse(fs.readFileSync(abiPath, "utf8")),
  bytecode: "0x" + fs.readFileSync(binPath, "utf8").trim(),
};
fs.writeFileSync(dest, JSON.stringify(artifact, null, 2) + "\n");
' "$contract" "$out/${contract}_sol_${contract}.abi" "$out/${contract}_sol_${contract}.bin" "$here/$contract.json" "$version"
  echo "wrote $here/$contract.json"
done
