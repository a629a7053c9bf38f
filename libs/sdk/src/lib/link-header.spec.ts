import { nextLinkTarget } from './link-header';

describe('nextLinkTarget', () => {
  it('finds the next link as the service writes it', () => {
    expect(nextLinkTarget('</epcis/events?perPage=1&nextPageToken=abc>; rel="next"')).toBe('/epcis/events?perPage=1&nextPageToken=abc');
  });

  it('finds it among other links, unquoted or in a list of relation types', () => {
    expect(nextLinkTarget('<https://a.example/p1>; rel="prev", <https://a.example/p3>; rel=next')).toBe('https://a.example/p3');
    expect(nextLinkTarget('<https://a.example/x?a=1,2>; title="x"; rel="last next"')).toBe('https://a.example/x?a=1,2');
  });

  it('answers null when there is no next page', () => {
    expect(nextLinkTarget(null)).toBeNull();
    expect(nextLinkTarget('')).toBeNull();
    expect(nextLinkTarget('</p1>; rel="prev"')).toBeNull();
    expect(nextLinkTarget('</p1>; rel="nextpage"')).toBeNull();
  });
});
