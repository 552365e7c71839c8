// Runs Plywood (Turnilo's query engine, from npm) against a Druid-compatible broker and prints what it saw as JSON.
// usage: node plywood-check.js HOST:PORT DATASOURCE START_ISO END_ISO
'use strict';
const plywood = require('plywood');
const { druidRequesterFactory } = require('plywood-druid-requester');
const { External, $, ply } = plywood;

async function main() {
  const [host, source, start, end] = process.argv.slice(2);
  const requester = druidRequesterFactory({ host });
  const external = await External.fromJS({ engine: 'druid', source, timeAttribute: 'time' }, requester).introspect();
  const attributes = external.attributes.map(a => ({ name: a.name, type: a.type, nativeType: a.nativeType || null }));
  const context = { main: external };
  const range = { start: new Date(start), end: new Date(end) };
  const query = ply()
    .apply('main', $('main').filter($('time').overlap(range)))
    .apply('Rows', '$main.sum($count)')
    .apply('Users', '$main.countDistinct($unique_users)')
    .apply('ByDevice', $('main').split('$device', 'Device')
      .apply('Rows', '$main.sum($count)')
      .sort('$Rows', 'descending')
      .limit(10))
    .apply('IosByAction', $('main').filter('$device == "ios"').split('$action', 'Action')
      .apply('Rows', '$main.sum($count)')
      .sort('$Action', 'ascending')
      .limit(10))
    .apply('ByHour', $('main').split($('time').timeBucket('PT1H'), 'Hour')
      .apply('Rows', '$main.sum($count)')
      .sort('$Hour', 'ascending'));
  const data = await query.compute(context);
  const js = data.toJS();
  const datum = (js.data || js)[0];
  const rows = (d, key) => d.data.map(r => ({ key: r[key] instanceof Object && r[key].start ? new Date(r[key].start).toISOString() : r[key], rows: r.Rows }));
  process.stdout.write(JSON.stringify({
    attributes,
    rows: datum.Rows,
    users: datum.Users,
    byDevice: rows(datum.ByDevice, 'Device'),
    iosByAction: rows(datum.IosByAction, 'Action'),
    byHour: rows(datum.ByHour, 'Hour'),
  }) + '\n');
}

main().catch(e => {
  process.stderr.write('plywood failed: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
