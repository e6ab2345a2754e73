// Owner: filesystem layer. Framing of control-channel lines across TCP segments, ordered execution, parser fixes.
export function installProtocolFixes(): void {
  // to be implemented
}
