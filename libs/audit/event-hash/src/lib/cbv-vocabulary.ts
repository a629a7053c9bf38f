/**
 * Static vocabulary tables for the CBV 2.0 event hash.
 *
 * Everything here is plain data taken from the EPCIS 2.0 JSON-LD context
 * (https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld) and from the
 * canonical property order of the CBV 2.0 event hash algorithm. term-scopes.ts and
 * pre-hash-string.ts compile it into lookup maps once, at module load.
 */

/** Prefixes declared by the standard EPCIS 2.0 context itself. */
export const STANDARD_PREFIXES: Readonly<Record<string, string>> = {
  epcis: 'https://ref.gs1.org/epcis/',
  cbv: 'https://ref.gs1.org/cbv/',
  cbvmda: 'urn:epcglobal:cbv:mda:',
  gs1: 'https://gs1.org/voc/',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  owl: 'http://www.w3.org/2002/07/owl#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcterms: 'http://purl.org/dc/terms/',
};

export const CBV_NS = 'https://ref.gs1.org/cbv/';
export const GS1_VOC_NS = 'https://gs1.org/voc/';

/** Bare words of the CBV vocabularies, as the EPCIS context maps them (value -> IRI = prefix + value). */
export const BIZ_STEPS: readonly string[] = [
  'accepting', 'arriving', 'assembling', 'collecting', 'commissioning', 'consigning',
  'creating_class_instance', 'cycle_counting', 'decommissioning', 'departing', 'destroying', 'disassembling',
  'dispensing', 'encoding', 'entering_exiting', 'holding', 'inspecting', 'installing', 'killing', 'loading',
  'other', 'packing', 'picking', 'receiving', 'removing', 'repackaging', 'repairing', 'replacing',
  'reserving', 'retail_selling', 'sampling', 'sensor_reporting', 'shipping', 'staging_outbound',
  'stock_taking', 'stocking', 'storing', 'transporting', 'unloading', 'unpacking', 'void_shipping',
];

export const DISPOSITIONS: readonly string[] = [
  'active', 'available', 'completeness_verified', 'completeness_inferred', 'conformant', 'container_closed',
  'container_open', 'damaged', 'destroyed', 'dispensed', 'disposed', 'encoded', 'expired', 'in_progress',
  'in_transit', 'inactive', 'mismatch_instance', 'mismatch_class', 'mismatch_quantity', 'needs_replacement',
  'no_pedigree_match', 'non_conformant', 'non_sellable_other', 'partially_dispensed', 'recalled', 'reserved',
  'retail_sold', 'returned', 'sellable_accessible', 'sellable_not_accessible', 'stolen', 'unavailable',
  'unknown',
];

export const BIZ_TRANSACTION_TYPES: readonly string[] = [
  'bol', 'cert', 'desadv', 'inv', 'pedigree', 'po', 'poc', 'prodorder', 'recadv', 'rma', 'testprd',
  'testres', 'upevt',
];

export const SOURCE_DESTINATION_TYPES: readonly string[] = ['owning_party', 'possessing_party', 'location'];

export const MEASUREMENT_TYPES: readonly string[] = [
  'AbsoluteHumidity', 'AbsorbedDose', 'AbsorbedDoseRate', 'Acceleration', 'Radioactivity', 'Altitude',
  'AmountOfSubstance', 'AmountOfSubstancePerUnitVolume', 'Angle', 'AngularAcceleration', 'AngularMomentum',
  'AngularVelocity', 'Area', 'Capacitance', 'Conductance', 'Conductivity', 'Count', 'Density',
  'Dimensionless', 'DoseEquivalent', 'DoseEquivalentRate', 'DynamicViscosity', 'ElectricCharge',
  'ElectricCurrent', 'ElectricCurrentDensity', 'ElectricFieldStrength', 'Energy', 'Exposure', 'Force',
  'Frequency', 'Illuminance', 'Inductance', 'Irradiance', 'KinematicViscosity', 'Length', 'LinearMomentum',
  'Luminance', 'LuminousFlux', 'LuminousIntensity', 'MagneticFlux', 'MagneticFluxDensity',
  'MagneticVectorPotential', 'Mass', 'MassConcentration', 'MassFlowRate', 'MassPerAreaTime',
  'MemoryCapacity', 'MolalityOfSolute', 'MolarEnergy', 'MolarMass', 'MolarVolume', 'Power', 'Pressure',
  'RadiantFlux', 'RadiantIntensity', 'RelativeHumidity', 'Resistance', 'Resistivity', 'SolidAngle',
  'SpecificVolume', 'Speed', 'SurfaceDensity', 'SurfaceTension', 'Temperature', 'Time', 'Torque', 'Voltage',
  'Volume', 'VolumeFlowRate', 'VolumeFraction', 'VolumetricFlux', 'Wavenumber',
];

export const SENSOR_EXCEPTIONS: readonly string[] = ['ALARM_CONDITION', 'ERROR_CONDITION'];

export const SENSOR_COMPONENTS: readonly string[] = [
  'x', 'y', 'z', 'axial_distance', 'azimuth', 'height', 'spherical_radius', 'polar_angle', 'elevation_angle',
  'easting', 'northing', 'latitude', 'longitude', 'altitude',
];

export const ERROR_REASONS: readonly string[] = ['did_not_occur', 'incorrect_data'];

/**
 * Terms of the top level of the EPCIS context, by how JSON-LD expands their string values:
 * 'id' = "@type": "@id" (or an alias of @id), 'literal' = anything else.
 * (@vocab-typed terms and terms with scoped contexts are described in term-scopes.ts.)
 */
export const ID_TERMS: readonly string[] = [
  'id', 'eventID', 'member', 'certificationInfo', 'bizLocation', 'readPoint', 'transformationID', 'epcList',
  'epcClass', 'parentID', 'childEPCs', 'inputEPCList', 'outputEPCList', 'children',
];

export const LITERAL_TERMS: readonly string[] = [
  'epcis', 'cbv', 'cbvmda', 'gs1', 'rdfs', 'owl', 'xsd', 'dcterms', 'baseURL',
  'ObjectEvent', 'AggregationEvent', 'TransformationEvent', 'AssociationEvent', 'TransactionEvent', 'Collection',
  'eventTime', 'recordTime', 'eventTimeZoneOffset', 'action', 'quantity', 'uom', 'quantityList',
  'childQuantityList', 'inputQuantityList', 'outputQuantityList', 'creationDate', 'sender', 'receiver',
  'instanceIdentifier', 'schemaVersion', 'ilmd', 'EPCISDocument', 'EPCISQueryDocument', 'epcisHeader',
  'masterData', 'vocabularyList', 'epcisBody', 'queryResults', 'subscriptionID', 'queryName', 'resultsBody',
  'eventList',
];

/** sensorElementList's scoped context. */
export const SENSOR_ELEMENT_ID_TERMS: readonly string[] = ['deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod'];
export const SENSOR_ELEMENT_LITERAL_TERMS: readonly string[] = ['time'];
/** sensorMetadata's scoped context. */
export const SENSOR_METADATA_ID_TERMS: readonly string[] = ['bizRules'];
export const SENSOR_METADATA_LITERAL_TERMS: readonly string[] = ['startTime', 'endTime'];
/** sensorReport's scoped context (type, exception and component are @vocab-typed). */
export const SENSOR_REPORT_ID_TERMS: readonly string[] = [
  'coordinateReferenceSystem', 'microorganism', 'chemicalSubstance', 'uriValue',
];
export const SENSOR_REPORT_LITERAL_TERMS: readonly string[] = [
  'time', 'value', 'stringValue', 'booleanValue', 'hexBinaryValue', 'minValue', 'maxValue', 'meanValue', 'sDev',
  'percRank', 'percValue',
];

/**
 * The canonical order of the CBV 2.0 event hash: [name, sub-order or null].
 *
 * bizTransactionList, sourceList and destinationList are deliberately absent: the reference
 * implementation lists them with an order that never matches its own data model, so they are
 * emitted with the "remaining elements" tail (sorted by their text, after sensorElementList,
 * destinationList before sourceList). The test vectors encode that, so this does too.
 */
export type PropertyOrder = readonly (readonly [string, PropertyOrder | null])[];

const QUANTITY_ELEMENT: PropertyOrder = [
  ['quantityElement', [['epcClass', null], ['quantity', null], ['uom', null]]],
];

export const PROPERTY_ORDER: PropertyOrder = [
  ['eventTime', null],
  ['eventTimeZoneOffset', null],
  ['certificationInfo', null],
  ['parentID', null],
  ['epcList', [['epc', null]]],
  ['inputEPCList', [['epc', null]]],
  ['childEPCs', [['epc', null]]],
  ['quantityList', QUANTITY_ELEMENT],
  ['childQuantityList', QUANTITY_ELEMENT],
  ['inputQuantityList', QUANTITY_ELEMENT],
  ['outputEPCList', [['epc', null]]],
  ['outputQuantityList', QUANTITY_ELEMENT],
  ['action', null],
  ['transformationID', null],
  ['bizStep', null],
  ['disposition', null],
  ['persistentDisposition', [['set', null], ['unset', null]]],
  ['readPoint', [['id', null]]],
  ['bizLocation', [['id', null]]],
  [
    'sensorElementList',
    [
      [
        'sensorElement',
        [
          [
            'sensorMetadata',
            [
              ['time', null], ['startTime', null], ['endTime', null], ['deviceID', null], ['deviceMetadata', null],
              ['rawData', null], ['dataProcessingMethod', null], ['bizRules', null],
            ],
          ],
          [
            'sensorReport',
            [
              ['type', null], ['exception', null], ['deviceID', null], ['deviceMetadata', null], ['rawData', null],
              ['dataProcessingMethod', null], ['time', null], ['microorganism', null], ['chemicalSubstance', null],
              ['value', null], ['component', null], ['stringValue', null], ['booleanValue', null],
              ['hexBinaryValue', null], ['uriValue', null], ['minValue', null], ['maxValue', null],
              ['meanValue', null], ['sDev', null], ['percRank', null], ['percValue', null], ['uom', null],
              ['coordinateReferenceSystem', null],
            ],
          ],
        ],
      ],
    ],
  ],
];

/** Top-level fields that never take part in the hash. */
export const EXCLUDED_EVENT_FIELDS: readonly string[] = ['recordTime', 'eventID', 'type', 'errorDeclaration'];

/** Old CBV 1.x URN prefixes and their CBV 2.0 web-vocabulary replacements. */
export const CBV_URN_REWRITES: readonly (readonly [string, string])[] = [
  ['urn:epcglobal:cbv:bizstep:', 'https://ref.gs1.org/cbv/BizStep-'],
  ['urn:epcglobal:cbv:disp:', 'https://ref.gs1.org/cbv/Disp-'],
  ['urn:epcglobal:cbv:btt:', 'https://ref.gs1.org/cbv/BTT-'],
  ['urn:epcglobal:cbv:sdt:', 'https://ref.gs1.org/cbv/SDT-'],
  ['urn:epcglobal:cbv:er:', 'https://ref.gs1.org/cbv/ER-'],
];
