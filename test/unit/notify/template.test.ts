import { renderTemplate } from '../../../src/notify/template';

const state = { human: { input: 'hello', userId: 'staff-1', tags: ['a', 'b'] }, count: 3, flag: false, nested: { obj: { k: 'v' } }, empty: '' };
const on = { enabled: true, strict: false };

describe('renderTemplate', () => {
  it.each([
    ['{{human.input}}', 'hello'],
    ['{{ human.userId }}', 'staff-1'],
    ['{{state.human.userId}}', 'staff-1'],
    ['{{human.tags.1}}', 'b'],
    ['n={{count}} f={{flag}}', 'n=3 f=false'],
    ['{{nested.obj}}', '{"k":"v"}'],
    ['no braces', 'no braces'],
    ['{{missing}}-x', '-x'],
    ['{{human.input.deeper}}', ''],
    ['{{empty}}', ''],
    ['{{bad path!}}', ''],
  ])('%s → %s', (template, expected) => {
    expect(renderTemplate(template, state, on)).toBe(expected);
  });

  it('is literal when disabled', () => {
    expect(renderTemplate('{{human.input}}', state, { enabled: false, strict: true })).toBe('{{human.input}}');
  });

  it('strict mode names every missing variable', () => {
    expect(() => renderTemplate('{{a}} {{human.input}} {{b.c}}', state, { enabled: true, strict: true })).toThrow(/\{\{a\}\}, \{\{b\.c\}\} are not set in the agent state/);
    expect(() => renderTemplate('{{empty}}', state, { enabled: true, strict: true })).toThrow(/\{\{empty\}\} is not set/);
    expect(renderTemplate('{{human.input}}', state, { enabled: true, strict: true })).toBe('hello');
  });

  it('does not follow prototype properties', () => {
    expect(renderTemplate('{{constructor.name}}|{{human.__proto__}}', state, on)).toBe('|');
  });

  it('tolerates a missing or non-object state', () => {
    expect(renderTemplate('x{{a}}', undefined, on)).toBe('x');
    expect(renderTemplate('x{{a}}', 'text', on)).toBe('x');
  });
});
