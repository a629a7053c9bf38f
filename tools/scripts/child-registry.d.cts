import type { ChildProcess } from 'node:child_process';

export function track<T extends ChildProcess>(child: T): T;
export function stopAll(options?: { graceMs?: number; close?: boolean }): Promise<number>;
export function killRecorded(dir: string): number[];
