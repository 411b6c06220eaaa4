import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { libraryDirFor, modelsDirFor, optionValue, userDataDirFor } from '../../main/app/app-paths.js';
import { asarUnpackedPath } from '../../main/engine/db/asar-path.js';

describe('app command line and folders', () => {
  it('reads --name VALUE and --name=VALUE, the last one winning', () => {
    assert.equal(optionValue(['electron', 'main.js', '--library', '/a'], 'library'), '/a');
    assert.equal(optionValue(['iris', '--library=/b'], 'library'), '/b');
    assert.equal(optionValue(['iris', '--library', '/a', '--library=/c'], 'library'), '/c');
    assert.equal(optionValue(['iris', '--library'], 'library'), undefined, 'no value');
    assert.equal(optionValue(['iris', '--library', '--models', '/m'], 'library'), undefined, 'the next switch is not a value');
    assert.equal(optionValue(['iris', '--library-extra', '/x'], 'library'), undefined);
    assert.equal(optionValue(['iris', '--library='], 'library'), undefined);
  });

  it('keeps app data in <appData>/Iris, the CLI\'s default library, unless --user-data-dir says otherwise', () => {
    const appData = path.resolve('/home/me/.config');
    assert.equal(userDataDirFor({ argv: ['electron', 'dist/main/app/main.js'], appData }), path.join(appData, 'Iris'));
    assert.equal(userDataDirFor({ argv: ['iris', '--user-data-dir', '/tmp/x'], appData }), path.resolve('/tmp/x'));
  });

  it('opens --library, else IRIS_LIBRARY, else the app data folder', () => {
    const userData = path.resolve('/data/Iris');
    assert.equal(libraryDirFor({ argv: ['iris', '--library', '/lib'], env: { IRIS_LIBRARY: '/env' }, userData }), path.resolve('/lib'));
    assert.equal(libraryDirFor({ argv: ['iris'], env: { IRIS_LIBRARY: '/env' }, userData }), path.resolve('/env'));
    assert.equal(libraryDirFor({ argv: ['iris'], env: {}, userData }), userData);
  });

  it('keeps models in app data when packaged and in the repository when not', () => {
    const base = { argv: ['iris'], env: {}, userData: path.resolve('/data/Iris'), installRoot: path.resolve('/repo') };
    assert.equal(modelsDirFor({ ...base, isPackaged: true }), path.join(path.resolve('/data/Iris'), 'models'));
    assert.equal(modelsDirFor({ ...base, isPackaged: false }), path.join(path.resolve('/repo'), 'models'));
    assert.equal(modelsDirFor({ ...base, isPackaged: true, env: { IRIS_MODELS: '/m' } }), path.resolve('/m'));
    assert.equal(modelsDirFor({ ...base, isPackaged: true, argv: ['iris', '--models', '/n'], env: { IRIS_MODELS: '/m' } }), path.resolve('/n'));
  });
});

describe('asar unpacked paths', () => {
  it('move a path inside app.asar to app.asar.unpacked', () => {
    assert.equal(
      asarUnpackedPath('/opt/Iris/resources/app.asar/node_modules/sqlite-vec-linux-x64/vec0.so', '/'),
      '/opt/Iris/resources/app.asar.unpacked/node_modules/sqlite-vec-linux-x64/vec0.so',
    );
    assert.equal(
      asarUnpackedPath('C:\\Program Files\\Iris\\resources\\app.asar\\node_modules\\sqlite-vec-windows-x64\\vec0.dll', '\\'),
      'C:\\Program Files\\Iris\\resources\\app.asar.unpacked\\node_modules\\sqlite-vec-windows-x64\\vec0.dll',
    );
  });

  it('leave every other path alone', () => {
    for (const file of ['/repo/node_modules/sqlite-vec-linux-x64/vec0.so', '/opt/Iris/resources/app.asar.unpacked/x/vec0.so', '/home/me/my-app.asar/vec0.so']) {
      assert.equal(asarUnpackedPath(file, '/'), file);
    }
  });
});
