// Owner: filesystem layer. MLSD/MLST, LIST options, and other command-registry entries about names and listings.
export function installListingCommands(): void {
  // to be implemented
}
