import { CodedError } from '../../../../common/src/index.js';

export type MixerErrorCode = 'duplicate_source' | 'duplicate_leg' | 'unsupported_codec' | 'invalid_options' | 'closed';

/** A caller mistake the mixer refuses (network input never throws: it is dropped and counted). */
export class MixerError extends CodedError<MixerErrorCode> {
  override readonly name = 'MixerError';
}
