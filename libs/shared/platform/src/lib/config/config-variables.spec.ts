import { CONFIG_VARIABLES } from './app-config';
import { unknownVariableMessage, unknownVariables, VARIABLE_USES } from './config-variables';

describe('unknownVariables', () => {
  it('names M2M_* variables no process reads, with the known name a typo was meant to be', () => {
    const env = {
      M2M_LOCKOUT_TRESHOLD: '3',
      M2M_AUDIENCE_URL: 'https://example.test',
      M2M_SOMETHING_ELSE: 'x',
      M2M_LOCKOUT_THRESHOLD: '3',
      M2M_API_KEY: 'the CLI reads this one',
      PATH: '/usr/bin',
    };
    expect(unknownVariables(env).map(unknownVariableMessage)).toEqual([
      'unknown variable M2M_AUDIENCE_URL (did you mean M2M_AUDIENCE?); it is ignored',
      'unknown variable M2M_LOCKOUT_TRESHOLD (did you mean M2M_LOCKOUT_THRESHOLD?); it is ignored',
      'unknown variable M2M_SOMETHING_ELSE; it is ignored',
    ]);
  });
});

describe('VARIABLE_USES', () => {
  it('says for every variable which processes read it', () => {
    for (const variable of CONFIG_VARIABLES) {
      const use = VARIABLE_USES[variable];
      expect({ variable, read: use.embedded || use.distributed.length > 0 }).toEqual({ variable, read: true });
      // The launcher forwards only to processes that read it.
      if (use.launcher.kind === 'forward') for (const to of use.launcher.to ?? []) expect(use.distributed).toContain(to);
    }
  });
});
