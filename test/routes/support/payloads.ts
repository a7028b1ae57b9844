// MQTT payloads as fleets publish them (one file each in the team's shared data, kept here byte for byte so the
// tests read exactly what devices send), with the topic each is published on.

/** Published on `telemetry/north/d-0017`. */
export const FLAT_READINGS = {
  topic: 'telemetry/north/d-0017',
  text: '{"ts":1764504000,"temp":21.5,"hum":40.2,"co2":612,"battery":3.71,"door":"CLOSED","rssi":-67}',
} as const;

/** Published on `gw/site-b/batch`. */
export const GATEWAY_BATCH = {
  topic: 'gw/site-b/batch',
  text: '{"gateway":"gw-b-01","sent":1764504000123,"devices":[{"id":"t-101","temp":19.5,"hum":51},{"id":"t-102","temp":20.1,"hum":49},{"id":"m-7","kwh":88.25,"status":"OK"}]}',
} as const;

/** Published on `tele/plug-42/SENSOR`. */
export const NESTED_ENERGY = {
  topic: 'tele/plug-42/SENSOR',
  text: '{"Time":"2026-11-30T12:00:00","ENERGY":{"TotalStartTime":"2026-01-01T00:00:00","Total":1234.567,"Yesterday":3.21,"Today":1.05,"Power":[120,118,0],"ApparentPower":[130,125,0],"Factor":0.92,"Voltage":[231,229,230],"Current":[0.52,0.51,0.0]}}',
} as const;

/** Published on `sensors/ahu-3/senml`. */
export const SENML_PACK = {
  topic: 'sensors/ahu-3/senml',
  text: '[{"bn":"urn:dev:mac:0024befffe804ff1:","bt":1.7645040e9,"bu":"Cel","n":"supply_temp","v":14.2},{"n":"return_temp","v":21.9,"t":-5},{"n":"fan_speed","u":"%","v":63},{"n":"filter_ok","vb":true}]',
} as const;

/** Published on `$aws/things/pump-7/shadow/update/documents`. */
export const SHADOW_UPDATE_DOCUMENTS = {
  topic: '$aws/things/pump-7/shadow/update/documents',
  text: '{"previous":{"state":{"desired":{"mode":"auto"},"reported":{"mode":"auto","flow_lpm":11.8,"pressure":{"inlet_kpa":212.4,"outlet_kpa":301.9},"running":true}},"metadata":{"desired":{"mode":{"timestamp":1764503900}},"reported":{"mode":{"timestamp":1764503900},"flow_lpm":{"timestamp":1764503940},"pressure":{"inlet_kpa":{"timestamp":1764503940},"outlet_kpa":{"timestamp":1764503940}},"running":{"timestamp":1764503900}}},"version":41},"current":{"state":{"desired":{"mode":"auto"},"reported":{"mode":"auto","flow_lpm":12.4,"pressure":{"inlet_kpa":211.9,"outlet_kpa":305.2},"running":true}},"metadata":{"desired":{"mode":{"timestamp":1764503900}},"reported":{"mode":{"timestamp":1764503900},"flow_lpm":{"timestamp":1764504000},"pressure":{"inlet_kpa":{"timestamp":1764504000},"outlet_kpa":{"timestamp":1764504000}},"running":{"timestamp":1764503900}}},"version":42},"timestamp":1764504000,"clientToken":"pump-7-fw-3.2"}',
} as const;

/** Published on `zigbee2mqtt/kitchen-sensor`. */
export const ZIGBEE_SENSOR = {
  topic: 'zigbee2mqtt/kitchen-sensor',
  text: '{"battery":97,"humidity":44.1,"linkquality":120,"occupancy":false,"temperature":21.37,"voltage":3005,"power_source":"Battery","update":{"state":"idle","installed_version":16777241,"latest_version":16777241}}',
} as const;
