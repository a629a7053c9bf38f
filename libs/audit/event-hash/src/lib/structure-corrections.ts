// Structure corrections: JSON-LD lists -> the XML data model the algorithm is defined on.
import { type HNode, type HPair, type Item, PAIR_LISTS } from './event-tree';

/** Regroups list items under their list node and renames nodes to their XML names, in place, all the way down. */
export function correctStructure(node: HNode): void {
  const kids = node.children;
  let rest: Item[] = kids;
  let lists: Map<string, HNode[]> | null = null;
  for (const e of kids) {
    if (!(e as HNode).name.endsWith('List')) continue;
    lists = new Map();
    break;
  }
  if (lists !== null) {
    // every "xxxList" child becomes one "xxxList" node whose children are its items, named "xxx"
    rest = [];
    for (const e of kids) {
      const name = (e as HNode).name;
      if (!name.endsWith('List')) {
        rest.push(e);
        continue;
      }
      let group = lists.get(name);
      if (group === undefined) lists.set(name, (group = []));
      group.push(e as HNode);
    }
    for (const [listName, elements] of lists) {
      const itemName = listName.slice(0, -4);
      if (PAIR_LISTS.has(listName)) {
        rest.push({ k: 0, name: listName, value: '', children: elements.map((e) => toPair(e, itemName)) });
      } else {
        for (const e of elements) e.name = itemName;
        rest.push({ k: 0, name: listName, value: '', children: elements });
      }
    }
  }
  // childEPCs: [a, b] -> childEPCs: [epc a, epc b]
  let epcs: HNode[] | null = null;
  for (const e of rest) if ((e as HNode).name === 'childEPCs') (epcs ??= []).push({ k: 0, name: 'epc', value: (e as HNode).value, children: [] });
  if (epcs !== null) {
    rest = rest.filter((e) => (e as HNode).name !== 'childEPCs');
    rest.push({ k: 0, name: 'childEPCs', value: '', children: epcs });
  }
  node.children = rest;
  for (const e of rest) if (e.k === 0 && !PAIR_LISTS.has(e.name)) correctStructure(e);

  switch (node.name) {
    case 'inputEPC':
    case 'outputEPC':
      node.name = 'epc';
      break;
    case 'inputQuantity':
    case 'outputQuantity':
    case 'childQuantity':
      node.name = 'quantityElement';
      break;
    case 'quantity':
      if (node.children.length > 0) node.name = 'quantityElement';
      break;
  }
}

function toPair(element: HNode, valueName: string): HPair {
  const kids = element.children as HNode[];
  let type: HNode | undefined;
  let value: HNode | undefined;
  for (const c of kids) {
    if (c.name === 'type') type ??= c;
    else if (c.name === valueName) value ??= c;
  }
  if (value !== undefined) return { k: 1, nodes: type === undefined ? [value] : [type, value] };
  if (kids.length === 0) return { k: 1, nodes: [{ k: 0, name: valueName, value: element.value, children: [] }] };
  return { k: 1, nodes: kids.slice(0, 2) };
}
