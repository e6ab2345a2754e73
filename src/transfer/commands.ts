// Owner: transfer layer. STOR/APPE/STOU/RETR handlers replacing ftp-srv's.
export function installTransferCommands(): void {
  // to be implemented
}
