import { DatabaseAvailability, isOutageError } from '../../../src/persistence/database-availability';

const pgError = (code: string) => Object.assign(new Error('x'), { code });
const typeormError = (code: string) => Object.assign(new Error('x'), { driverError: { code } });

describe('isOutageError', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a closed socket, no code', new Error('Connection terminated unexpectedly')],
    ['the pool giving up on a connect, no code', new Error('timeout exceeded when trying to connect')],
    ['admin shutdown (57P01)', pgError('57P01')],
    ['starting up (57P03)', typeormError('57P03')],
    ['connection failure (08006)', typeormError('08006')],
    ['too many connections (53300)', pgError('53300')],
  ])('%s is an outage', (_name, error) => {
    expect(isOutageError(error)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', pgError('23505')],
    ['bad data (22P02)', typeormError('22P02')],
    ['a missing table (42P01)', typeormError('42P01')],
    ['a deadlock (40P01)', pgError('40P01')],
    ['a statement timeout (57014)', pgError('57014')],
    ['a coded error of ours thrown inside a transaction', Object.assign(new Error('not the asker'), { code: 'dingtalk_card_not_asker' })],
    ['an uncoded bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ])('%s is not', (_name, error) => {
    expect(isOutageError(error)).toBe(false);
  });
});

describe('DatabaseAvailability', () => {
  it('records when the database answered again after an outage, not after a refused statement', () => {
    let now = 1000;
    const availability = new DatabaseAvailability(() => now);
    availability.noteFailure(pgError('23505'));
    availability.noteSuccess();
    expect(availability).toMatchObject({ isDown: false, recoveredAt: undefined });

    now = 2000;
    availability.noteFailure(pgError('57P01'));
    expect(availability.isDown).toBe(true);
    now = 5000;
    availability.noteSuccess();
    expect(availability).toMatchObject({ isDown: false, recoveredAt: 5000 });
    // Later successes are not recoveries.
    now = 9000;
    availability.noteSuccess();
    expect(availability.recoveredAt).toBe(5000);
  });

  it('a caller may declare the database down (the intake spooling an event)', () => {
    let now = 0;
    const availability = new DatabaseAvailability(() => now);
    availability.noteDown();
    expect(availability.isDown).toBe(true);
    now = 700;
    availability.noteSuccess();
    expect(availability.recoveredAt).toBe(700);
  });
});
