import { SetMetadata } from '@nestjs/common';

/** The host's global auth guard lets a route through when it carries this metadata key. */
export const IS_PUBLIC_KEY = 'isPublic';
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
