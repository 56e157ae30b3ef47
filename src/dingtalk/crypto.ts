/** DingTalk callback crypto: encrypted event callbacks, robot and card request signatures. */
export {
  createCallbackCipher,
  callbackSignature,
  decodeAesKey,
  type CallbackCipher,
  type CallbackCipherOptions,
  type EncryptedCallback,
  type EncryptedReply,
  type EncryptOptions,
} from './callback-cipher';
export {
  signRobotRequest,
  verifyRobotRequest,
  checkRobotRequest,
  signCardCallback,
  verifyCardCallback,
  checkCardCallback,
  isTimestampFresh,
  checkTimestampFresh,
  toEpochMs,
  ROBOT_REQUEST_WINDOW_MS,
  CARD_CALLBACK_WINDOW_MS,
  EVENT_CALLBACK_WINDOW_MS,
  type RobotRequestCheck,
  type CardCallbackCheck,
} from './request-signature';
export { safeEqual } from '../kernel/safe-equal';
