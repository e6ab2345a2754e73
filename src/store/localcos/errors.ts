// COS errors as thrown inside the store and written as the `<Error>` XML document (doc 7730).

const DEFAULT_CODES: Record<number, string> = {
  400: 'InvalidArgument',
  403: 'AccessDenied',
  404: 'NoSuchKey',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  411: 'MissingContentLength',
  412: 'PreconditionFailed',
  416: 'InvalidRange',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'SlowDown',
};

const DEFAULT_MESSAGES: Record<string, string> = {
  NoSuchKey: 'The specified key does not exist.',
  NoSuchBucket: 'The specified bucket does not exist.',
  NoSuchUpload: 'The specified multipart upload does not exist.',
  AccessDenied: 'Access Denied.',
  InvalidAccessKeyId: 'The access key Id format you provided is invalid.',
  SignatureDoesNotMatch: 'The calculated signature does not match the provided one.',
  InternalError: 'We encountered an internal error. Please try again.',
  SlowDown: 'Please reduce your request rate.',
  ServiceUnavailable: 'Service is unavailable. Please try again.',
  EntityTooSmall: 'Your proposed upload is smaller than the minimum allowed object size.',
  EntityTooLarge: 'Your proposed upload exceeds the maximum allowed object size.',
  InvalidPart: 'One or more of the specified parts could not be found.',
  InvalidPartOrder: 'The list of parts was not in ascending order.',
  MalformedXML: 'The XML you provided was not well-formed.',
  InvalidRange: 'The requested range is not satisfiable.',
  MethodNotAllowed: 'The specified method is not allowed against this resource.',
  BadDigest: 'The Content-MD5 you specified did not match what we received.',
  KeyTooLong: 'Your key is too long.',
  RequestTimeTooSkewed: 'The difference between the request time and the server time is too large.',
  PreconditionFailed: 'At least one of the pre-conditions you specified did not hold.',
};

export class CosError extends Error {
  readonly status: number;
  readonly code: string;
  /** Sent as a 200 with the `<Error>` body (a fault: COS does this for some Copy and Complete failures). */
  in200 = false;

  constructor(status: number, code?: string, message?: string) {
    const resolved = code ?? DEFAULT_CODES[status] ?? 'InternalError';
    super(message ?? DEFAULT_MESSAGES[resolved] ?? resolved);
    this.status = status;
    this.code = resolved;
  }
}

export const noSuchKey = (): CosError => new CosError(404, 'NoSuchKey');
export const noSuchBucket = (): CosError => new CosError(404, 'NoSuchBucket');
export const noSuchUpload = (): CosError => new CosError(404, 'NoSuchUpload');
export const invalidArgument = (message: string): CosError => new CosError(400, 'InvalidArgument', message);
