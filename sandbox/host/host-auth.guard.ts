import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import jwt from 'jsonwebtoken';

export interface HarnessUser {
  id: string;
  tenantId: string;
  email: string;
  password?: string;
  preferredLanguage?: string;
}

/**
 * Like the 3.7 host's global `AuthGuard(['jwt','basic'])`: a Bearer JWT or HTTP Basic user, unless
 * the route carries the `isPublic` metadata.
 */
@Injectable()
export class HostAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly secret: string,
    private readonly users: HarnessUser[],
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>('isPublic', [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest();
    const user = this.authenticate(String(request.headers.authorization ?? ''));
    if (!user) throw new UnauthorizedException();
    request.user = user;
    return true;
  }

  private authenticate(header: string): HarnessUser | null {
    const [scheme, value] = header.split(' ');
    if (scheme === 'Bearer' && value) {
      try {
        const claims = jwt.verify(value, this.secret) as { id?: string };
        return this.users.find((user) => user.id === claims.id) ?? null;
      } catch {
        return null;
      }
    }
    if (scheme === 'Basic' && value) {
      const [email, password] = Buffer.from(value, 'base64').toString('utf8').split(':');
      return this.users.find((user) => user.email === email && user.password === password) ?? null;
    }
    return null;
  }
}
